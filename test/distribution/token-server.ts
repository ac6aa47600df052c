// The tests' Docker token server: signs bearer tokens for docker-registry's
// token auth mode with a test key. registry.ts starts it in the test process,
// and scripts/test-registries.sh runs this file as a program for the shared
// registries of a CI run, with the request log in a file.
import { execFileSync } from 'node:child_process';
import { createHash, createSign, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { parseArgs } from 'node:util';

export interface SigningKey {
  privateKeyPem: string;
  certificateFile: string;
  // The key ID the registry computes from the certificate's public key (libtrust format).
  keyId: string;
}

// Generates the token issuer's key and self-signed certificate in root.
export function makeSigningKey(root: string): SigningKey {
  const keyFile = path.join(root, 'token.key');
  const certificateFile = path.join(root, 'token.crt');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=Berth test token issuer', '-keyout', keyFile, '-out', certificateFile], { stdio: 'pipe' });
  return loadSigningKey(keyFile, certificateFile);
}

export function loadSigningKey(keyFile: string, certificateFile: string): SigningKey {
  const publicKeyDer = execFileSync('openssl', ['x509', '-in', certificateFile, '-noout', '-pubkey']);
  const der = execFileSync('openssl', ['pkey', '-pubin', '-outform', 'DER'], { input: publicKeyDer });
  return { privateKeyPem: fs.readFileSync(keyFile, 'utf8'), certificateFile, keyId: libtrustKeyId(der) };
}

// libtrust's key ID: base32 of the first 240 bits of sha256(DER public key), in 12 groups of 4 joined by ":".
function libtrustKeyId(publicKeyDer: Buffer): string {
  const bytes = createHash('sha256').update(publicKeyDer).digest().subarray(0, 30);
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const byte of bytes) bits += byte.toString(2).padStart(8, '0');
  let encoded = '';
  for (let index = 0; index < bits.length; index += 5) encoded += alphabet[parseInt(bits.slice(index, index + 5), 2)];
  return encoded.match(/.{4}/g)!.join(':');
}

export interface TokenSettings {
  username: string;
  password: string;
  service: string;
  issuer: string;
  // Called with the query string of every token request, for checks of the bearer flow.
  record(query: string): void;
}

// Serves GET /token?service=&scope=... as a Docker token server: checks basic
// credentials, then grants every requested action on the named repositories.
export function startTokenServer(port: number, signing: SigningKey, settings: TokenSettings): http.Server {
  const server = http.createServer((request, response) => {
    const url = new URL(request.url ?? '/', `http://127.0.0.1:${port}`);
    settings.record(url.search);
    const header = request.headers.authorization ?? '';
    const expected = `Basic ${Buffer.from(`${settings.username}:${settings.password}`).toString('base64')}`;
    if (header !== expected) {
      response.writeHead(401, { 'Content-Type': 'application/json' });
      response.end(JSON.stringify({ details: 'incorrect username or password' }));
      return;
    }
    const access = url.searchParams.getAll('scope').map((scope) => {
      const [type, name, actions] = scope.split(':');
      return { type, name, actions: actions.split(',') };
    });
    const token = signToken(signing, {
      iss: settings.issuer,
      sub: settings.username,
      aud: url.searchParams.get('service') ?? settings.service,
      exp: Math.floor(Date.now() / 1000) + 300,
      nbf: Math.floor(Date.now() / 1000) - 10,
      iat: Math.floor(Date.now() / 1000),
      jti: randomBytes(8).toString('hex'),
      access,
    });
    response.writeHead(200, { 'Content-Type': 'application/json' });
    response.end(JSON.stringify({ token, access_token: token, expires_in: 300 }));
  });
  server.listen(port, '127.0.0.1');
  return server;
}

function signToken(signing: SigningKey, claims: object): string {
  const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const unsigned = `${encode({ typ: 'JWT', alg: 'RS256', kid: signing.keyId })}.${encode(claims)}`;
  const signature = createSign('RSA-SHA256').update(unsigned).sign(signing.privateKeyPem).toString('base64url');
  return `${unsigned}.${signature}`;
}

// Runs the server as a program: token-server.js --port P --key FILE --certificate FILE
// --username U --password W --service S --issuer I --log FILE. It runs until SIGTERM.
function main(): void {
  const { values } = parseArgs({
    options: {
      port: { type: 'string' },
      key: { type: 'string' },
      certificate: { type: 'string' },
      username: { type: 'string' },
      password: { type: 'string' },
      service: { type: 'string' },
      issuer: { type: 'string' },
      log: { type: 'string' },
    },
  });
  const required = ['port', 'key', 'certificate', 'username', 'password', 'service', 'issuer', 'log'] as const;
  const missing = required.filter((name) => values[name] === undefined);
  if (missing.length > 0) {
    process.stderr.write(`token-server: missing options: ${missing.map((name) => `--${name}`).join(' ')}\n`);
    process.exit(2);
  }
  const logFile = values.log as string;
  const server = startTokenServer(Number(values.port), loadSigningKey(values.key as string, values.certificate as string), {
    username: values.username as string,
    password: values.password as string,
    service: values.service as string,
    issuer: values.issuer as string,
    record: (query) => fs.appendFileSync(logFile, `${query}\n`),
  });
  process.on('SIGTERM', () => server.close(() => process.exit(0)));
}

if (require.main === module) main();
