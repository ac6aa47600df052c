// Reading conmon's k8s-file logs: line format, joining of partial lines,
// tail, since/until, stream filters and follow, on files the tests write.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { LogEntry, LogOptions } from '../../src/engine/engine';
import { parseLogLine, toUtcTime } from '../../src/container/runtime/log-format';
import { readLogFile } from '../../src/container/runtime/logs';
import { collectLogs, logText } from './fixtures';

const ALL: LogOptions = { follow: false, stdout: true, stderr: true, since: 0, until: 0, tail: null };

describe('log format', () => {
  it('time converts to UTC nanoseconds', () => {
    assert.deepEqual(toUtcTime('2024-03-05T10:20:30.123456789+01:00'), { time: '2024-03-05T09:20:30.123456789Z', seconds: 1709630430.1234567 });
    assert.equal(toUtcTime('2024-03-05T10:20:30.120000000-02:30')?.time, '2024-03-05T12:50:30.12Z');
    assert.equal(toUtcTime('2024-03-05T10:20:30.000000000Z')?.time, '2024-03-05T10:20:30Z');
    assert.equal(toUtcTime('yesterday'), null);
  });

  it('line fields', () => {
    const record = parseLogLine(Buffer.from('2024-03-05T10:20:30.000000001+00:00 stderr P a b '));
    assert.equal(record?.stream, 'stderr');
    assert.equal(record?.partial, true);
    assert.equal(record?.content.toString(), 'a b ');
    assert.equal(parseLogLine(Buffer.from('2024-03-05T10:20:30.000000001+00:00 stdout F '))?.content.length, 0);
    assert.equal(parseLogLine(Buffer.from('garbage')), null);
  });
});

describe('log file reading', () => {
  let directory: string;
  let file: string;
  const line = (second: number, stream: string, tag: string, content: string) => `2024-03-05T10:20:${String(second).padStart(2, '0')}.500000000+00:00 ${stream} ${tag} ${content}\n`;
  const at = (second: number) => Date.parse(`2024-03-05T10:20:${String(second).padStart(2, '0')}Z`) / 1000;

  before(() => {
    directory = fs.mkdtempSync(path.join(os.tmpdir(), 'brt-logs-'));
    file = path.join(directory, 'c.log');
    fs.writeFileSync(file, [
      line(1, 'stdout', 'F', 'one'),
      line(2, 'stdout', 'P', 'tw'),
      line(3, 'stderr', 'F', 'err'),
      line(3, 'stdout', 'F', 'o'),
      line(4, 'stdout', 'F', ''),
      line(5, 'stdout', 'P', 'abc'),
    ].join(''));
  });

  after(() => fs.rmSync(directory, { recursive: true, force: true }));

  it('joins pieces and keeps last partial', async () => {
    const entries = await collectLogs(readLogFile(file, ALL, () => false));
    assert.deepEqual(entries.map((entry) => [entry.stream, entry.data.toString()]), [
      ['stdout', 'one\n'],
      ['stderr', 'err\n'],
      ['stdout', 'two\n'],
      ['stdout', '\n'],
      ['stdout', 'abc'],
    ]);
    assert.equal(entries[2].time, '2024-03-05T10:20:02.5Z');
  });

  it('stream filters', async () => {
    assert.equal(logText(await collectLogs(readLogFile(file, { ...ALL, stdout: false }, () => false))), 'err\n');
    assert.equal(logText(await collectLogs(readLogFile(file, { ...ALL, stderr: false }, () => false))), 'one\ntwo\n\nabc');
  });

  it('tail counts entries', async () => {
    assert.equal(logText(await collectLogs(readLogFile(file, { ...ALL, tail: 2 }, () => false))), '\nabc');
    assert.equal(logText(await collectLogs(readLogFile(file, { ...ALL, tail: 0 }, () => false))), '');
    assert.equal((await collectLogs(readLogFile(file, { ...ALL, tail: 100 }, () => false))).length, 5);
  });

  it('since and until', async () => {
    assert.equal(logText(await collectLogs(readLogFile(file, { ...ALL, since: at(3) }, () => false))), 'err\n\nabc');
    assert.equal(logText(await collectLogs(readLogFile(file, { ...ALL, until: at(2) + 0.6 }, () => false))), 'one\ntwo\n');
  });

  it('missing file is empty', async () => {
    assert.deepEqual(await collectLogs(readLogFile(path.join(directory, 'none.log'), ALL, () => false)), []);
  });

  it('tail reads back over many chunks', async () => {
    const big = path.join(directory, 'big.log');
    const lines: string[] = [];
    for (let index = 0; index < 5000; index++) lines.push(line(index % 60, 'stdout', 'F', `line ${index} ${'x'.repeat(40)}`));
    fs.writeFileSync(big, lines.join(''));
    const entries = await collectLogs(readLogFile(big, { ...ALL, tail: 3 }, () => false));
    assert.deepEqual(entries.map((entry) => entry.data.toString().split(' ')[1]), ['4997', '4998', '4999']);
  });

  it('follow sees appends until stop', async () => {
    const followed = path.join(directory, 'follow.log');
    fs.writeFileSync(followed, line(1, 'stdout', 'F', 'first'));
    let running = true;
    const received: LogEntry[] = [];
    const stream = readLogFile(followed, { ...ALL, follow: true }, () => running);
    const done = (async () => {
      for await (const entry of stream) received.push(entry as LogEntry);
    })();
    await new Promise((resolve) => setTimeout(resolve, 100));
    fs.appendFileSync(followed, line(2, 'stdout', 'P', 'sec'));
    fs.appendFileSync(followed, line(2, 'stdout', 'F', 'ond'));
    fs.appendFileSync(followed, line(3, 'stdout', 'P', 'tail'));
    await new Promise((resolve) => setTimeout(resolve, 150));
    assert.equal(logText(received), 'first\nsecond\n', 'a partial line waits while the container runs');
    running = false;
    await done;
    assert.equal(logText(received), 'first\nsecond\ntail');
  });

  it('follow ends on abort', async () => {
    const controller = new AbortController();
    const stream = readLogFile(file, { ...ALL, follow: true, tail: 0 }, () => true, controller.signal);
    const done = collectLogs(stream);
    setTimeout(() => controller.abort(), 50);
    assert.deepEqual(await done, []);
  });
});
