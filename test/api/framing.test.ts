// The multiplexed stream format and the detach-key scanner, as pure units.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DetachKeyScanner, parseDetachKeys } from '../../src/api/streams/detach-keys';
import { FrameDecoder, encodeFrame, STREAM_STDERR, STREAM_STDOUT } from '../../src/api/streams/mux';

test('mux: frame header layout', () => {
  const frame = encodeFrame(STREAM_STDERR, Buffer.from('oops\n'));
  assert.deepEqual([...frame.subarray(0, 8)], [2, 0, 0, 0, 0, 0, 0, 5]);
  assert.equal(frame.subarray(8).toString(), 'oops\n');
  const large = encodeFrame(STREAM_STDOUT, Buffer.alloc(70_000, 0x61));
  assert.equal(large.readUInt32BE(4), 70_000);
  assert.equal(large.length, 70_008);
});

test('mux: empty payload', () => {
  const frame = encodeFrame(STREAM_STDOUT, Buffer.alloc(0));
  assert.deepEqual([...frame], [1, 0, 0, 0, 0, 0, 0, 0]);
});

test('mux: decoder reassembles split frames', () => {
  const bytes = Buffer.concat([encodeFrame(STREAM_STDOUT, Buffer.from('hello ')), encodeFrame(STREAM_STDERR, Buffer.from('world'))]);
  for (let split = 1; split < bytes.length; split++) {
    const decoder = new FrameDecoder();
    const frames = [...decoder.push(bytes.subarray(0, split)), ...decoder.push(bytes.subarray(split))];
    assert.deepEqual(
      frames.map((frame) => [frame.stream, frame.payload.toString()]),
      [[1, 'hello '], [2, 'world']],
      `split at ${split}`,
    );
    assert.equal(decoder.pendingBytes, 0);
  }
});

test('mux: decoder keeps an incomplete frame', () => {
  const decoder = new FrameDecoder();
  assert.deepEqual(decoder.push(encodeFrame(STREAM_STDOUT, Buffer.from('abc')).subarray(0, 9)), []);
  assert.equal(decoder.pendingBytes, 9);
});

test('detach keys: parsing', () => {
  assert.deepEqual([...parseDetachKeys('ctrl-p,ctrl-q')], [16, 17]);
  assert.deepEqual([...parseDetachKeys('ctrl-@,ctrl-a,ctrl-z,ctrl-[,ctrl-\\,ctrl-],ctrl-^,ctrl-_')], [0, 1, 26, 27, 28, 29, 30, 31]);
  assert.deepEqual([...parseDetachKeys('a,b,DEL')], [97, 98, 127]);
  assert.throws(() => parseDetachKeys('ctrl-1'), /Unknown character: 'ctrl-1'/);
  assert.throws(() => parseDetachKeys('ab'), /Unknown character: 'ab'/);
  assert.throws(() => parseDetachKeys('ctrl-P'), /Unknown character: 'ctrl-P'/);
});

function scanAll(keys: string, chunks: string[]): { forwarded: string; detachedAt: number | null } {
  const scanner = new DetachKeyScanner(parseDetachKeys(keys));
  let forwarded = '';
  for (const [index, chunk] of chunks.entries()) {
    const result = scanner.push(Buffer.from(chunk, 'latin1'));
    forwarded += result.forward.toString('latin1');
    if (result.detached) return { forwarded, detachedAt: index };
  }
  return { forwarded: forwarded + scanner.flush().toString('latin1'), detachedAt: null };
}

const P = '\x10';
const Q = '\x11';

test('detach keys: sequence in one chunk', () => {
  assert.deepEqual(scanAll('ctrl-p,ctrl-q', [`ls${P}${Q}rest`]), { forwarded: 'ls', detachedAt: 0 });
});

test('detach keys: sequence split across chunks', () => {
  assert.deepEqual(scanAll('ctrl-p,ctrl-q', ['echo', P, Q, 'never']), { forwarded: 'echo', detachedAt: 2 });
});

test('detach keys: forward broken partial match', () => {
  assert.deepEqual(scanAll('ctrl-p,ctrl-q', [`a${P}`, 'b']), { forwarded: `a${P}b`, detachedAt: null });
  assert.deepEqual(scanAll('ctrl-p,ctrl-q', [`${P}${P}`, Q]), { forwarded: P, detachedAt: 1 });
});

test('detach keys: flush buffered bytes at end', () => {
  assert.deepEqual(scanAll('ctrl-p,ctrl-q', [`x${P}`]), { forwarded: `x${P}`, detachedAt: null });
});

test('detach keys: overlapping prefixes', () => {
  // "aab": after "aa" a third "a" keeps "aa" as a possible start.
  assert.deepEqual(scanAll('a,a,b', ['aaab']), { forwarded: 'a', detachedAt: 0 });
  assert.deepEqual(scanAll('a,b,a,c', ['abab', 'ac']), { forwarded: 'ab', detachedAt: 1 });
  assert.deepEqual(scanAll('a,b,a,c', ['ababx']), { forwarded: 'ababx', detachedAt: null });
});
