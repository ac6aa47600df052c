// Attach, resize, exec, top and pause against real containers.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { ExecSpec, OutputChunk, StdioSession } from '../../src/engine/engine';
import { createFixture, destroyFixture, makeRecord, startContainer, waitForExitFile, type RuntimeFixture } from './fixtures';

// Collects a session's output. `waitFor` resolves once the collected text matches.
function record(session: StdioSession) {
  const chunks: OutputChunk[] = [];
  const listeners: (() => void)[] = [];
  const ended = new Promise<void>((resolve) => session.output.on('end', resolve));
  session.output.on('data', (chunk: OutputChunk) => {
    chunks.push(chunk);
    for (const listener of listeners) listener();
  });
  const text = (stream?: 'stdout' | 'stderr') => Buffer.concat(chunks.filter((chunk) => !stream || chunk.stream === stream).map((chunk) => chunk.data)).toString();
  const waitFor = (pattern: RegExp, timeoutMs = 10_000) => new Promise<void>((resolve, reject) => {
    const check = () => {
      if (pattern.test(text())) {
        clearTimeout(timer);
        resolve();
      }
    };
    const timer = setTimeout(() => reject(new Error(`output ${JSON.stringify(text())} never matched ${pattern}`)), timeoutMs);
    listeners.push(check);
    check();
  });
  return { text, ended, waitFor };
}

// Sends a newline every 50 ms until the output matches, for sizes that change asynchronously.
async function pollOutput(session: StdioSession, output: ReturnType<typeof record>, pattern: RegExp): Promise<void> {
  const timer = setInterval(() => session.writeStdin(Buffer.from('\n')), 50);
  try {
    await output.waitFor(pattern);
  } finally {
    clearInterval(timer);
  }
}

function execSpec(cmd: string[], overrides: Partial<ExecSpec> = {}): ExecSpec {
  return { cmd, env: [], workingDir: '', user: '', privileged: false, tty: false, attachStdin: false, attachStdout: true, attachStderr: true, detachKeys: null, consoleSize: null, ...overrides };
}

function exitPromise() {
  let resolve!: (code: number) => void;
  const promise = new Promise<number>((done) => {
    resolve = done;
  });
  return { promise, onExit: (code: number) => resolve(code) };
}

describe('attach and exec', () => {
  let fixture: RuntimeFixture;
  let sleeper: ReturnType<typeof makeRecord>;
  let execCounter = 0;
  const nextExecId = () => `${(++execCounter).toString(16).padStart(8, '0')}${'e'.repeat(56)}`;

  before(async () => {
    fixture = await createFixture();
    sleeper = makeRecord(fixture, ['sleep', '1000']);
    await startContainer(fixture, sleeper);
  });

  after(async () => {
    await destroyFixture(fixture);
  });

  it('attach before start gets all output', async () => {
    const container = makeRecord(fixture, ['sh', '-c', 'read line; echo got:$line; echo err >&2'], { openStdin: true, stdinOnce: true, attachStdin: true });
    const attached: { session?: StdioSession } = {};
    await startContainer(fixture, container, async () => {
      attached.session = await fixture.runtime.attach(container.id, { stdin: true });
    });
    const session = attached.session;
    assert.ok(session);
    const output = record(session);
    session.writeStdin(Buffer.from('hi\n'));
    session.closeStdin();
    await output.ended;
    assert.equal(output.text('stdout'), 'got:hi\n');
    assert.equal(output.text('stderr'), 'err\n');
    await waitForExitFile(fixture, container.id);
    assert.equal((await fixture.runtime.collectExit(container.id))?.exitCode, 0);
  });

  it('attach to missing container is a conflict', async () => {
    await assert.rejects(fixture.runtime.attach('f'.repeat(64), { stdin: false }), /is not running/);
  });

  it('container tty size and resize', async () => {
    const container = makeRecord(fixture, ['sh', '-c', 'stty size; while read x; do stty size; [ "$x" = q ] && exit 0; done'], { tty: true, openStdin: true, attachStdin: true, consoleSize: [40, 120] });
    const attached: { session?: StdioSession } = {};
    await startContainer(fixture, container, async () => {
      attached.session = await fixture.runtime.attach(container.id, { stdin: true });
    });
    const session = attached.session;
    assert.ok(session);
    const output = record(session);
    await output.waitFor(/40 120/);
    await fixture.runtime.resize(container.id, 30, 100);
    // conmon applies a resize asynchronously to stdin, so the size is read again until it shows.
    await pollOutput(session, output, /30 100/);
    session.writeStdin(Buffer.from('q\n'));
    await output.ended;
    assert.equal(output.text('stderr'), '', 'a TTY sends everything as stdout');
  });

  it('exec -t gets console size', async () => {
    const exit = exitPromise();
    const { pid, session } = await fixture.runtime.exec(sleeper, nextExecId(), execSpec(['stty', 'size'], { tty: true }), [50, 200], false, exit.onExit);
    assert.ok(pid > 0);
    assert.ok(session);
    const output = record(session);
    await output.ended;
    assert.equal(output.text().trim(), '50 200');
    assert.equal(await exit.promise, 0);
  });

  it('exec resize reaches the process', async () => {
    const exit = exitPromise();
    const execId = nextExecId();
    const { session } = await fixture.runtime.exec(sleeper, execId, execSpec(['sh', '-c', 'stty size; while read x; do stty size; [ "$x" = q ] && exit 0; done'], { tty: true, attachStdin: true }), [50, 200], false, exit.onExit);
    assert.ok(session);
    const output = record(session);
    await output.waitFor(/50 200/);
    await fixture.runtime.resizeExec(execId, 30, 100);
    await pollOutput(session, output, /30 100/);
    session.writeStdin(Buffer.from('q\n'));
    assert.equal(await exit.promise, 0);
    await assert.rejects(fixture.runtime.resizeExec(execId, 10, 10), /No such exec instance/);
  });

  it('exec streams and exit code', async () => {
    const exit = exitPromise();
    const { session } = await fixture.runtime.exec(sleeper, nextExecId(), execSpec(['sh', '-c', 'echo out; echo err >&2; exit 5']), null, false, exit.onExit);
    assert.ok(session);
    const output = record(session);
    await output.ended;
    assert.equal(output.text('stdout'), 'out\n');
    assert.equal(output.text('stderr'), 'err\n');
    assert.equal(await exit.promise, 5);
  });

  it('exec stdin reaches cat', async () => {
    const exit = exitPromise();
    const { session } = await fixture.runtime.exec(sleeper, nextExecId(), execSpec(['cat'], { attachStdin: true }), null, false, exit.onExit);
    assert.ok(session);
    const output = record(session);
    session.writeStdin(Buffer.alloc(40000, 'z'));
    session.writeStdin(Buffer.from('end'));
    session.closeStdin();
    await output.ended;
    assert.equal(output.text('stdout'), 'z'.repeat(40000) + 'end');
    assert.equal(await exit.promise, 0);
  });

  it('exec user, env and workdir', async () => {
    const exit = exitPromise();
    const { session } = await fixture.runtime.exec(sleeper, nextExecId(), execSpec(['sh', '-c', 'id -u; echo $FOO; pwd'], { user: '1234', env: ['FOO=bar'], workingDir: '/tmp' }), null, false, exit.onExit);
    assert.ok(session);
    const output = record(session);
    await output.ended;
    assert.equal(output.text('stdout'), '1234\nbar\n/tmp\n');
    assert.equal(await exit.promise, 0);
  });

  it('detached exec reports its exit', async () => {
    const exit = exitPromise();
    const { pid, session } = await fixture.runtime.exec(sleeper, nextExecId(), execSpec(['sh', '-c', 'sleep 0.2; exit 7']), null, true, exit.onExit);
    assert.equal(session, null);
    assert.ok(pid > 0);
    assert.equal(await exit.promise, 7);
  });

  it('exec of missing command fails with 127', async () => {
    const exit = exitPromise();
    await assert.rejects(fixture.runtime.exec(sleeper, nextExecId(), execSpec(['no-such-command']), null, false, exit.onExit), /OCI runtime exec failed: .*executable file not found/);
    assert.equal(await exit.promise, 127);
  });

  it('top lists container processes', async () => {
    const table = await fixture.runtime.top(sleeper.id, '');
    assert.ok(table.titles.includes('PID'));
    assert.equal(table.titles[table.titles.length - 1], 'CMD');
    assert.ok(table.processes.some((row) => row[row.length - 1] === 'sleep 1000'));
    assert.ok(table.processes.every((row) => !/node/.test(row[row.length - 1])), 'host processes are filtered out');
    const custom = await fixture.runtime.top(sleeper.id, '-o pid,comm');
    assert.deepEqual(custom.titles, ['PID', 'COMMAND']);
    assert.deepEqual(custom.processes.map((row) => row[1]), ['sleep']);
    await assert.rejects(fixture.runtime.top(sleeper.id, '-o comm'), /Couldn't find PID field/);
  });

  it('pause and resume', async () => {
    await fixture.runtime.pause(sleeper.id);
    assert.ok(await fixture.runtime.isRunning(sleeper.id), 'paused counts as running');
    await fixture.runtime.resume(sleeper.id);
    const exit = exitPromise();
    const { session } = await fixture.runtime.exec(sleeper, nextExecId(), execSpec(['true']), null, false, exit.onExit);
    await record(session!).ended;
    assert.equal(await exit.promise, 0);
  });
});
