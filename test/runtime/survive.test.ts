// A container outlives the Node process that started it. A child Node
// process starts a container and is then killed with SIGKILL together with
// its whole process group. conmon and the container run on, so the test's
// own runtime finds the container running and collects its exit.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createFixture, destroyFixture, makeRecord, processAlive, waitForExitFile, type RuntimeFixture } from './fixtures';

// Runs in the child: starts the container described by argv and prints its PID.
const CHILD_SCRIPT = `
const [fixturesPath, recordJson, configJson, lowerJson] = process.argv.slice(1);
const { ContainerRuntime } = require(path.join(path.dirname(fixturesPath), '../../src/container/runtime'));
const { silentLogger } = require(fixturesPath);
(async () => {
  const runtime = new ContainerRuntime(JSON.parse(configJson), silentLogger());
  await runtime.init();
  const record = JSON.parse(recordJson);
  await runtime.mountRootfs(record.id, JSON.parse(lowerJson));
  await runtime.writeBundle(record, {});
  const { pid } = await runtime.start(record);
  process.stdout.write(pid + '\\n');
  setInterval(() => {}, 1000);
})().catch((error) => { console.error(error); process.exit(1); });
`;

describe('container survival', () => {
  let fixture: RuntimeFixture;

  before(async () => {
    fixture = await createFixture();
  });

  after(async () => {
    await destroyFixture(fixture);
  });

  it('survives SIGKILL of its starter', async () => {
    const record = makeRecord(fixture, ['sleep', '1000']);
    fixture.started.add(record.id);
    const fixturesPath = path.join(__dirname, 'fixtures.js');
    const child = spawn(process.execPath, ['-e', `const path = require('path');${CHILD_SCRIPT}`, fixturesPath, JSON.stringify(record), JSON.stringify(fixture.config), JSON.stringify(fixture.lower)], {
      detached: true,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const killStarter = () => {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // The starter group is gone already.
      }
    };
    const containerPid = await new Promise<number>((resolve, reject) => {
      let output = '';
      child.stdout.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes('\n')) resolve(Number(output.trim()));
      });
      child.on('exit', (code) => reject(new Error(`starter exited with ${code} before reporting a PID`)));
    }).catch((error: unknown) => {
      killStarter();
      throw error;
    });
    assert.ok(containerPid > 0);

    const starterExited = new Promise((resolve) => child.on('exit', resolve));
    killStarter();
    await starterExited;
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.ok(processAlive(containerPid), 'the container process outlives its starter');
    assert.ok(await fixture.runtime.isRunning(record.id));

    await fixture.runtime.kill(record.id, 'KILL');
    await waitForExitFile(fixture, record.id);
    const exit = await fixture.runtime.collectExit(record.id);
    assert.equal(exit?.exitCode, 137, 'conmon, not the dead starter, recorded the exit');
  });
});
