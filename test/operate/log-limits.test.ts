// Log limits: option parsing, keeping replaced files, reading across them, and
// a real container that logs 50 MB under max-size 1m and max-file 3.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { LogEntry, LogOptions } from '../../src/engine/engine';
import { mergeLogConfig, parseHumanSize, parseLogLimits } from '../../src/container/runtime/log-limits';
import { heldLogPath, keepReplacedLog } from '../../src/container/runtime/log-rotation';
import { readLogFile } from '../../src/container/runtime/logs';
import { berth } from '../helpers/cli';
import { request, startDaemon, type TestDaemon } from '../helpers/daemon';

const ALL: LogOptions = { follow: false, stdout: true, stderr: true, since: 0, until: 0, tail: null };

async function collect(stream: NodeJS.ReadableStream): Promise<string[]> {
  const lines: string[] = [];
  for await (const entry of stream as AsyncIterable<LogEntry>) lines.push(entry.data.toString().replace(/\n$/, ''));
  return lines;
}

describe('log option parsing', () => {
  it('sizes use decimal units', () => {
    assert.equal(parseHumanSize('1m'), 1_000_000);
    assert.equal(parseHumanSize('512k'), 512_000);
    assert.equal(parseHumanSize('2MB'), 2_000_000);
    assert.equal(parseHumanSize('100'), 100);
    assert.throws(() => parseHumanSize('abc'), /^InvalidArgumentError: invalid size: 'abc'$/);
  });

  it('limits reject what Docker rejects', () => {
    assert.deepEqual(parseLogLimits({ 'max-size': '1m', 'max-file': '3' }), { maxSize: 1_000_000, maxFile: 3 });
    assert.deepEqual(parseLogLimits({}), { maxSize: null, maxFile: 1 });
    assert.throws(() => parseLogLimits({ 'max-size': 'abc' }), { message: "invalid size: 'abc'" });
    assert.throws(() => parseLogLimits({ 'max-size': '0' }), { message: 'max-size must be a positive number' });
    assert.throws(() => parseLogLimits({ 'max-file': '0' }), { message: 'max-file cannot be less than 1' });
    assert.throws(() => parseLogLimits({ 'max-file': 'x' }), { message: 'strconv.Atoi: parsing "x": invalid syntax' });
    assert.throws(() => parseLogLimits({ colour: 'red' }, 'json-file'), { message: "unknown log opt 'colour' for json-file log driver" });
  });

  it('defaults fill only missing keys', () => {
    const merged = mergeLogConfig({ type: 'json-file', config: { 'max-size': '5m' } }, { 'max-size': '1m', 'max-file': '2' });
    assert.deepEqual(merged.config, { 'max-size': '5m', 'max-file': '2' });
  });
});

describe('replaced log files', () => {
  let directory: string;
  let logPath: string;
  const line = (index: number) => `2024-03-05T10:20:${String(index % 60).padStart(2, '0')}.500000000+00:00 stdout F line-${index}\n`;

  // Does what conmon does at max-size: writes a new file and renames it over the log.
  const replaceLog = (lines: number[]) => {
    fs.writeFileSync(`${logPath}.tmp`, lines.map(line).join(''));
    fs.renameSync(`${logPath}.tmp`, logPath);
  };

  before(() => {
    directory = fs.mkdtempSync(path.join(os.tmpdir(), 'brt-log-keep-'));
    logPath = path.join(directory, 'c.log');
  });

  after(() => fs.rmSync(directory, { recursive: true, force: true }));

  it('keeps max-file minus one older files', async () => {
    replaceLog([1, 2]);
    assert.equal(await keepReplacedLog(logPath, 3), false);
    assert.equal(fs.statSync(heldLogPath(logPath)).ino, fs.statSync(logPath).ino);

    for (const batch of [[3, 4], [5, 6], [7, 8]]) {
      replaceLog(batch);
      assert.equal(await keepReplacedLog(logPath, 3), true);
    }
    const names = fs.readdirSync(directory).sort();
    assert.deepEqual(names, ['c.log', 'c.log.1', 'c.log.2', 'c.log.held']);
    assert.match(fs.readFileSync(`${logPath}.2`, 'utf8'), /line-3\n.*line-4\n$/s);
    assert.match(fs.readFileSync(`${logPath}.1`, 'utf8'), /line-5\n.*line-6\n$/s);
  });

  it('reads across kept files with tail', async () => {
    assert.deepEqual(await collect(readLogFile(logPath, ALL, () => false, undefined, 3)), ['line-3', 'line-4', 'line-5', 'line-6', 'line-7', 'line-8']);
    assert.deepEqual(await collect(readLogFile(logPath, { ...ALL, tail: 3 }, () => false, undefined, 3)), ['line-6', 'line-7', 'line-8']);
    assert.deepEqual(await collect(readLogFile(logPath, { ...ALL, tail: 5 }, () => false, undefined, 3)), ['line-4', 'line-5', 'line-6', 'line-7', 'line-8']);
    assert.deepEqual(await collect(readLogFile(logPath, { ...ALL, tail: 0 }, () => false, undefined, 3)), []);
    // With max-file 1 only the current file counts.
    assert.deepEqual(await collect(readLogFile(logPath, ALL, () => false, undefined, 1)), ['line-7', 'line-8']);
  });

  it('reads a replaced file not yet kept', async () => {
    replaceLog([9, 10]);
    // keepReplacedLog has not run, so the .held link still points at the file with lines 7 and 8.
    assert.deepEqual(await collect(readLogFile(logPath, { ...ALL, tail: 4 }, () => false, undefined, 3)), ['line-7', 'line-8', 'line-9', 'line-10']);
  });

  it('follow continues into the replacing file', async () => {
    let running = true;
    const controller = new AbortController();
    const reading = collect(readLogFile(logPath, { ...ALL, follow: true, tail: 1 }, () => running, controller.signal, 3));
    await new Promise((resolve) => setTimeout(resolve, 100));
    fs.appendFileSync(logPath, line(11));
    replaceLog([12]);
    await new Promise((resolve) => setTimeout(resolve, 400));
    running = false;
    assert.deepEqual(await reading, ['line-10', 'line-11', 'line-12']);
  });
});

describe('log limits on a running container', () => {
  let daemon: TestDaemon;

  before(async () => {
    daemon = await startDaemon({ extraEnv: { BERTH_LOG_OPTS: 'max-size=2m,max-file=2' } });
  });

  after(async () => {
    await daemon?.stop();
  });

  // Bytes of the container's log files, each inode counted once.
  const logBytes = (logPath: string): { bytes: number; names: string[] } => {
    const directory = path.dirname(logPath);
    const names = fs.readdirSync(directory).filter((name) => name.startsWith(path.basename(logPath)));
    const inodes = new Map<number, number>();
    for (const name of names) {
      const stat = fs.statSync(path.join(directory, name));
      inodes.set(stat.ino, stat.blocks * 512);
    }
    return { bytes: [...inodes.values()].reduce((sum, size) => sum + size, 0), names: names.sort() };
  };

  const inspect = async (name: string) => {
    const response = await request(daemon.socketPath, 'GET', `/containers/${name}/json`);
    assert.equal(response.status, 200);
    return JSON.parse(response.body.toString()) as { LogPath: string; HostConfig: { LogConfig: { Type: string; Config: Record<string, string> } } };
  };

  // About 50 MB of output in lines of 100 characters, then five numbered lines.
  const chatty = "yes 0123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789 | head -n 500000; for i in 1 2 3 4 5; do echo end-$i; done";

  it('50 MB stays within max-size times max-file', async () => {
    const run = await berth(daemon, ['run', '--name', 'chatty', '--log-opt', 'max-size=1m', '--log-opt', 'max-file=3', 'busybox', 'sh', '-c', chatty]);
    assert.equal(run.exitCode, 0, run.stderr);
    const details = await inspect('chatty');
    assert.deepEqual(details.HostConfig.LogConfig.Config, { 'max-size': '1m', 'max-file': '3' });

    const { bytes, names } = logBytes(details.LogPath);
    assert.ok(bytes <= 3.3 * 1_000_000, `log files use ${bytes} bytes: ${names.join(', ')}`);
    assert.ok(bytes >= 1_000_000, `log files use only ${bytes} bytes: ${names.join(', ')}`);
    assert.ok(names.includes(`${path.basename(details.LogPath)}.1`), `no kept file among ${names.join(', ')}`);

    const tail = await berth(daemon, ['logs', '--tail', '5', 'chatty']);
    assert.equal(tail.exitCode, 0, tail.stderr);
    assert.equal(tail.stdout, 'end-1\nend-2\nend-3\nend-4\nend-5\n');

    // The full read spans the kept files: more lines than one file of 1 MB contains.
    const all = await berth(daemon, ['logs', 'chatty']);
    const lines = all.stdout.split('\n').length;
    assert.ok(lines > 10_000, `logs returned ${lines} lines`);
    assert.ok(all.stdout.endsWith('end-5\n'));
  });

  it('daemon default applies without options', async () => {
    const run = await berth(daemon, ['run', '--name', 'defaults', 'busybox', 'sh', '-c', chatty.replace('500000', '100000')]);
    assert.equal(run.exitCode, 0, run.stderr);
    const details = await inspect('defaults');
    assert.deepEqual(details.HostConfig.LogConfig.Config, { 'max-size': '2m', 'max-file': '2' });
    const { bytes, names } = logBytes(details.LogPath);
    assert.ok(bytes <= 4.4 * 1_000_000, `log files use ${bytes} bytes: ${names.join(', ')}`);
    const tail = await berth(daemon, ['logs', '--tail', '1', 'defaults']);
    assert.equal(tail.stdout, 'end-5\n');
  });

  it('invalid options are rejected at create', async () => {
    const size = await berth(daemon, ['create', '--log-opt', 'max-size=abc', 'busybox']);
    assert.notEqual(size.exitCode, 0);
    assert.match(size.stderr, /Error response from daemon: invalid size: 'abc'/);
    const files = await berth(daemon, ['create', '--log-opt', 'max-file=0', 'busybox']);
    assert.notEqual(files.exitCode, 0);
    assert.match(files.stderr, /Error response from daemon: max-file cannot be less than 1/);

    const valid = await berth(daemon, ['create', '--log-opt', 'max-file=4', 'busybox']);
    assert.equal(valid.exitCode, 0, valid.stderr);
  });
});
