// Test registries: Debian's docker-registry (distribution 2.8) on 127.0.0.1
// with a random free port, a temporary storage directory and its own config
// file. Variants: plain HTTP; TLS with a test CA and htpasswd basic auth;
// bearer tokens signed by a small token server that the test starts. Every
// process is stopped by its PID, and every file lives under one temporary root.
//
// useRegistry() returns instead the shared registry of a CI run when
// scripts/test-registries.sh has exported its address (BERTH_TEST_REGISTRY_*).
// Each call then gets a repository prefix of its own, so runs and test files
// do not see each other's images.
import { spawn, execFile, execFileSync, type ChildProcess } from 'node:child_process';
import { promisify } from 'node:util';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { REPO_ROOT } from '../helpers/daemon';
import { makeSigningKey, startTokenServer } from './token-server';

export const REGISTRY_BINARY = '/usr/bin/docker-registry';
export const BUSYBOX_ARCHIVE = path.join(REPO_ROOT, 'build/images/busybox.tar');

export interface TestRegistry {
  // "127.0.0.1:PORT", the registry part of image references.
  host: string;
  port: number;
  // http://127.0.0.1:PORT or https://127.0.0.1:PORT
  url: string;
  root: string;
  storageDirectory: string;
  // PEM file of the test CA, for the TLS variants.
  caFile: string | null;
  username: string | null;
  password: string | null;
  // Query strings of the requests the token server served, for checks of the bearer flow.
  readonly tokenRequests: string[];
  // True for a registry shared by the whole CI run, which stop() leaves running.
  shared: boolean;
  // Returns the repository path to use for a fixture: name itself, or name under this registry's prefix when shared.
  repository(name: string): string;
  stop(): Promise<void>;
}

export type RegistryVariant = 'plain' | 'tls-basic' | 'token';

export interface RegistryOptions {
  variant?: RegistryVariant;
  username?: string;
  password?: string;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as net.AddressInfo).port;
      server.close(() => resolve(port));
    });
  });
}

export async function startRegistry(options: RegistryOptions = {}): Promise<TestRegistry> {
  const variant = options.variant ?? 'plain';
  const root = await fsp.mkdtemp(path.join(os.tmpdir(), 'berth-registry-'));
  const storageDirectory = path.join(root, 'storage');
  await fsp.mkdir(storageDirectory);
  const port = await freePort();
  const username = variant === 'plain' ? null : (options.username ?? 'tester');
  const password = variant === 'plain' ? null : (options.password ?? 'secret-password');
  const tokenRequests: string[] = [];

  const lines = [
    'version: 0.1',
    'log:',
    '  level: warn',
    'storage:',
    '  filesystem:',
    `    rootdirectory: ${storageDirectory}`,
    '  delete:',
    '    enabled: true',
    'http:',
    `  addr: 127.0.0.1:${port}`,
    `  secret: ${randomBytes(16).toString('hex')}`,
  ];

  let caFile: string | null = null;
  let tokenServer: http.Server | null = null;
  if (variant === 'tls-basic') {
    const tls = makeTestCertificates(root);
    caFile = tls.caFile;
    lines.push('  tls:', `    certificate: ${tls.certificateFile}`, `    key: ${tls.keyFile}`);
    const htpasswdFile = path.join(root, 'htpasswd');
    execFileSync('htpasswd', ['-Bbc', htpasswdFile, username!, password!], { stdio: 'ignore' });
    lines.push('auth:', '  htpasswd:', '    realm: berth-test', `    path: ${htpasswdFile}`);
  }
  if (variant === 'token') {
    const signing = makeSigningKey(root);
    const tokenPort = await freePort();
    tokenServer = startTokenServer(tokenPort, signing, { username: username!, password: password!, service: 'berth-test-registry', issuer: 'berth-test-issuer', record: (query) => tokenRequests.push(query) });
    lines.push(
      'auth:',
      '  token:',
      `    realm: http://127.0.0.1:${tokenPort}/token`,
      '    service: berth-test-registry',
      '    issuer: berth-test-issuer',
      `    rootcertbundle: ${signing.certificateFile}`,
    );
  }

  const configFile = path.join(root, 'config.yml');
  await fsp.writeFile(configFile, `${lines.join('\n')}\n`);
  const logFile = path.join(root, 'registry.log');
  const log = fs.openSync(logFile, 'a');
  const child = spawn(REGISTRY_BINARY, ['serve', configFile], { stdio: ['ignore', log, log] });
  fs.closeSync(log);

  const scheme = variant === 'tls-basic' ? 'https' : 'http';
  const registry: TestRegistry = {
    host: `127.0.0.1:${port}`,
    port,
    url: `${scheme}://127.0.0.1:${port}`,
    root,
    storageDirectory,
    caFile,
    username,
    password,
    tokenRequests,
    shared: false,
    repository: (name) => name,
    stop: async () => {
      await stopChild(child);
      if (tokenServer) await new Promise((resolve) => tokenServer!.close(resolve));
      await fsp.rm(root, { recursive: true, force: true });
    },
  };
  try {
    await waitForRegistry(registry, child, logFile);
  } catch (error) {
    await registry.stop();
    throw error;
  }
  return registry;
}

// Environment variable names that scripts/test-registries.sh exports, per variant.
const SHARED_VARIABLES: Record<RegistryVariant, string> = {
  plain: 'BERTH_TEST_REGISTRY_PLAIN',
  'tls-basic': 'BERTH_TEST_REGISTRY_TLS',
  token: 'BERTH_TEST_REGISTRY_TOKEN',
};

// Returns the CI run's shared registry of a variant when its address is
// exported, else starts a private one as startRegistry() does.
export async function useRegistry(variant: RegistryVariant = 'plain'): Promise<TestRegistry> {
  const variable = SHARED_VARIABLES[variant];
  const host = process.env[variable];
  if (!host) return startRegistry({ variant });

  const setting = (suffix: string): string => {
    const value = process.env[`${variable}_${suffix}`];
    if (!value) throw new Error(`shared test registry ${host}: ${variable}_${suffix} is not set. Start the registries with scripts/test-registries.sh start`);
    return value;
  };
  const prefix = `run-${randomBytes(6).toString('hex')}/`;
  const tokenLog = variant === 'token' ? setting('LOG') : null;
  return {
    host,
    port: Number(host.slice(host.lastIndexOf(':') + 1)),
    url: `${variant === 'tls-basic' ? 'https' : 'http'}://${host}`,
    root: path.dirname(setting('STORAGE')),
    storageDirectory: setting('STORAGE'),
    caFile: variant === 'tls-basic' ? setting('CA') : null,
    username: variant === 'plain' ? null : setting('USERNAME'),
    password: variant === 'plain' ? null : setting('PASSWORD'),
    get tokenRequests(): string[] {
      if (tokenLog === null) return [];
      return fs.readFileSync(tokenLog, 'utf8').split('\n').filter((line) => line !== '');
    },
    shared: true,
    repository: (name) => `${prefix}${name}`,
    stop: async () => undefined,
  };
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || !child.pid) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  process.kill(child.pid, 'SIGTERM');
  const timer = setTimeout(() => {
    if (child.exitCode === null && child.pid) process.kill(child.pid, 'SIGKILL');
  }, 5000);
  await exited;
  clearTimeout(timer);
}

// Waits until GET /v2/ returns 200 or 401, either of which means the registry is serving.
async function waitForRegistry(registry: TestRegistry, child: ChildProcess, logFile: string): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) break;
    const status = await probe(registry).catch(() => 0);
    if (status === 200 || status === 401) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const log = await fsp.readFile(logFile, 'utf8').catch(() => '');
  throw new Error(`docker-registry on ${registry.host} did not start; its log:\n${log.slice(-3000)}`);
}

function probe(registry: TestRegistry): Promise<number> {
  return new Promise((resolve, reject) => {
    const module = registry.url.startsWith('https') ? https : http;
    const ca = registry.caFile ? fs.readFileSync(registry.caFile) : undefined;
    const request = module.get(`${registry.url}/v2/`, { ca, timeout: 1000 }, (response) => {
      response.resume();
      resolve(response.statusCode ?? 0);
    });
    request.on('error', reject);
    request.on('timeout', () => request.destroy(new Error('timeout')));
  });
}

// Generates a test CA and a server certificate for 127.0.0.1 signed by it.
function makeTestCertificates(root: string): { caFile: string; certificateFile: string; keyFile: string } {
  const directory = path.join(root, 'tls');
  fs.mkdirSync(directory);
  const file = (name: string) => path.join(directory, name);
  const openssl = (args: string[]) => execFileSync('openssl', args, { stdio: 'pipe' });
  openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=Berth test CA', '-keyout', file('ca.key'), '-out', file('ca.crt')]);
  openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=127.0.0.1', '-keyout', file('server.key'), '-out', file('server.csr')]);
  fs.writeFileSync(file('server.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n');
  openssl(['x509', '-req', '-in', file('server.csr'), '-CA', file('ca.crt'), '-CAkey', file('ca.key'), '-CAcreateserial', '-days', '2', '-extfile', file('server.ext'), '-out', file('server.crt')]);
  // The CA gets a directory of its own, because skopeo's --cert-dir reads every *.crt and *.key in it.
  const caDirectory = path.join(root, 'ca');
  fs.mkdirSync(caDirectory);
  fs.copyFileSync(file('ca.crt'), path.join(caDirectory, 'ca.crt'));
  return { caFile: path.join(caDirectory, 'ca.crt'), certificateFile: file('server.crt'), keyFile: file('server.key') };
}

const execFileAsync = promisify(execFile);

// Pushes an archive to the registry with skopeo, so fixtures never depend on
// Berth's own push. Asynchronous because the token server runs in this process.
export async function skopeoPush(registry: TestRegistry, source: string, repository: string, extraArgs: string[] = []): Promise<void> {
  const args = ['copy', '--quiet', ...extraArgs];
  if (registry.caFile) args.push('--dest-cert-dir', path.dirname(registry.caFile));
  else args.push('--dest-tls-verify=false');
  if (registry.username) args.push('--dest-creds', `${registry.username}:${registry.password}`);
  args.push(source, `docker://${registry.host}/${repository}`);
  await execFileAsync('skopeo', args, { timeout: 60_000 });
}

// Returns the manifest that `skopeo inspect --raw` prints for a reference, and its digest.
export async function skopeoInspect(registry: TestRegistry, repository: string): Promise<{ raw: string; digest: string }> {
  const args = ['inspect'];
  if (registry.caFile) args.push('--cert-dir', path.dirname(registry.caFile));
  else args.push('--tls-verify=false');
  if (registry.username) args.push('--creds', `${registry.username}:${registry.password}`);
  const { stdout: raw } = await execFileAsync('skopeo', [...args, '--raw', `docker://${registry.host}/${repository}`], { timeout: 60_000 });
  return { raw, digest: `sha256:${createHash('sha256').update(raw).digest('hex')}` };
}
