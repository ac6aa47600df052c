// The networking walk-through of Docker's documentation ("network ls", a
// container on the default bridge, a user-defined bridge, db and web, ping
// and wget across networks), run once with the real docker CLI and once with
// berth against a real berthd. All traffic stays between the test's own
// containers.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { assertDockerTalksToBerth, berth, docker, type CliResult } from '../helpers/cli';
import { startDaemon, type TestDaemon } from '../helpers/daemon';

type Cli = (daemon: TestDaemon, args: string[], input?: string) => Promise<CliResult>;

let daemon: TestDaemon;
let wwwDirectory: string;
const INDEX = 'hello from web, served over the bridge\n';

before(async () => {
  daemon = await startDaemon();
  await assertDockerTalksToBerth(daemon);
  wwwDirectory = await fs.mkdtemp(path.join(os.tmpdir(), 'berth-www-'));
  await fs.writeFile(path.join(wwwDirectory, 'index.html'), INDEX);
});

after(async () => {
  await daemon?.stop();
  if (wwwDirectory) await fs.rm(wwwDirectory, { recursive: true, force: true });
});

async function ok(cli: Cli, args: string[]): Promise<string> {
  const result = await cli(daemon, args);
  assert.equal(result.exitCode, 0, `${args.join(' ')} failed: ${result.stderr}`);
  return result.stdout;
}

async function inspectNetwork(cli: Cli, name: string): Promise<{ IPAM: { Config: { Subnet: string; Gateway: string }[] }; Containers: Record<string, { Name: string }> }> {
  return JSON.parse(await ok(cli, ['network', 'inspect', '--format', '{{json .}}', name]));
}

async function runTranscript(cli: Cli): Promise<void> {
  const listed = await ok(cli, ['network', 'ls']);
  assert.match(listed, /^NETWORK ID\s+NAME\s+DRIVER\s+SCOPE\n/);
  for (const [name, driver] of [['bridge', 'bridge'], ['host', 'host'], ['none', 'null']]) {
    assert.match(listed, new RegExp(`^[0-9a-f]{12}\\s+${name}\\s+${driver}\\s+local$`, 'm'), `network ls lists ${name}`);
  }

  await ok(cli, ['run', '-itd', '--name=networktest', 'busybox']);
  const bridge = await inspectNetwork(cli, 'bridge');
  assert.deepEqual(Object.values(bridge.Containers).map((entry) => entry.Name), ['networktest']);

  await ok(cli, ['network', 'disconnect', 'bridge', 'networktest']);
  assert.deepEqual((await inspectNetwork(cli, 'bridge')).Containers, {}, 'networktest left the bridge');

  const removeBridge = await cli(daemon, ['network', 'rm', 'bridge']);
  assert.equal(removeBridge.exitCode, 1);
  assert.match(removeBridge.stderr, /bridge is a pre-defined network and cannot be removed/);

  const created = await ok(cli, ['network', 'create', '-d', 'bridge', 'my_bridge']);
  assert.match(created, /^[0-9a-f]{64}\n$/);
  const myBridge = await inspectNetwork(cli, 'my_bridge');
  assert.equal(myBridge.IPAM.Config.length, 1);
  assert.match(myBridge.IPAM.Config[0].Subnet, /^\d+\.\d+\.\d+\.\d+\/\d+$/);
  assert.match(myBridge.IPAM.Config[0].Gateway, /^\d+\.\d+\.\d+\.\d+$/);
  assert.deepEqual(myBridge.Containers, {});

  await ok(cli, ['run', '-d', '--net=my_bridge', '--name', 'db', 'busybox', 'sleep', '1d']);
  const dbNetworks = JSON.parse(await ok(cli, ['inspect', '--format={{json .NetworkSettings.Networks}}', 'db'])) as Record<string, { IPAddress: string; Gateway: string }>;
  assert.deepEqual(Object.keys(dbNetworks), ['my_bridge']);
  assert.match(dbNetworks.my_bridge.IPAddress, /^\d+\.\d+\.\d+\.\d+$/);
  assert.equal(dbNetworks.my_bridge.Gateway, myBridge.IPAM.Config[0].Gateway);

  await ok(cli, ['run', '-d', '--name', 'web', '-v', `${wwwDirectory}:/www`, 'busybox', 'httpd', '-f', '-p', '80', '-h', '/www']);
  const webAddress = (await ok(cli, ['inspect', '--format={{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}', 'web'])).trim();
  assert.match(webAddress, /^\d+\.\d+\.\d+\.\d+$/, 'web has one address');

  const acrossNetworks = await cli(daemon, ['exec', 'db', 'ping', '-c1', '-W1', webAddress]);
  assert.notEqual(acrossNetworks.exitCode, 0, 'db cannot reach web on another network');
  const ownGateway = await cli(daemon, ['exec', 'db', 'ping', '-c1', '-W1', dbNetworks.my_bridge.Gateway]);
  assert.equal(ownGateway.exitCode, 0, `positive control: db reaches its own gateway: ${ownGateway.stdout}${ownGateway.stderr}`);

  await ok(cli, ['network', 'connect', 'my_bridge', 'web']);
  const byName = await cli(daemon, ['exec', 'db', 'ping', '-c1', 'web']);
  assert.equal(byName.exitCode, 0, `db pings web by name: ${byName.stdout}${byName.stderr}`);
  assert.equal(await ok(cli, ['exec', 'db', 'wget', '-qO-', 'http://web/']), INDEX);
}

async function removeTranscriptObjects(cli: Cli): Promise<void> {
  await ok(cli, ['rm', '-f', 'networktest', 'db', 'web']);
  await ok(cli, ['network', 'rm', 'my_bridge']);
  const left = await ok(cli, ['network', 'ls', '--format', '{{.Name}}']);
  assert.equal(left, 'bridge\nhost\nnone\n');
}

test('transcript with the docker CLI', async () => {
  await runTranscript(docker);
  await removeTranscriptObjects(docker);
});

test('transcript with the berth CLI', async () => {
  await runTranscript(berth);
  await removeTranscriptObjects(berth);
});
