// Docker's multiplexed stream frames and the detach key sequence.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { demultiplex, encodeFrame, FrameDemuxer, StreamFormatError } from '../../src/cli/client/stdcopy';
import { DetachKeyDetector, parseDetachKeys } from '../../src/cli/terminal';

function collect(stream: PassThrough): () => Buffer {
  const chunks: Buffer[] = [];
  stream.on('data', (chunk: Buffer) => chunks.push(chunk));
  return () => Buffer.concat(chunks);
}

test('demuxer reassembles frames split anywhere', () => {
  const frames = Buffer.concat([encodeFrame(1, 'out1\n'), encodeFrame(2, 'err1\n'), encodeFrame(1, ''), encodeFrame(1, 'partial')]);
  for (let chunkSize = 1; chunkSize <= frames.length; chunkSize++) {
    const seen: Array<[number, string]> = [];
    const demuxer = new FrameDemuxer((stream, payload) => seen.push([stream, payload.toString()]));
    for (let offset = 0; offset < frames.length; offset += chunkSize) demuxer.push(frames.subarray(offset, offset + chunkSize));
    assert.deepEqual(seen, [[1, 'out1\n'], [2, 'err1\n'], [1, ''], [1, 'partial']], `chunk size ${chunkSize}`);
    assert.equal(demuxer.remaining, 0);
  }
});

test('demuxer rejects an unknown stream byte', () => {
  const demuxer = new FrameDemuxer(() => undefined);
  assert.throws(() => demuxer.push(Buffer.from([9, 0, 0, 0, 0, 0, 0, 1, 65])), StreamFormatError);
});

test('demultiplex copies bytes exactly', async () => {
  const source = new PassThrough();
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const out = collect(stdout);
  const err = collect(stderr);
  const binary = Buffer.from([0, 255, 10, 13, 1]);
  const done = demultiplex(source, stdout, stderr);
  source.write(encodeFrame(1, 'line\n'));
  source.write(encodeFrame(2, binary));
  source.end(encodeFrame(1, 'no newline'));
  await done;
  assert.equal(out().toString(), 'line\nno newline');
  assert.deepEqual(err(), binary);
});

test('demultiplex fails on a daemon error frame', async () => {
  const source = new PassThrough();
  const done = demultiplex(source, new PassThrough(), new PassThrough());
  source.end(encodeFrame(3, 'boom'));
  await assert.rejects(done, /error from daemon in stream: boom/);
});

test('detach keys parse like docker', () => {
  assert.deepEqual([...parseDetachKeys('ctrl-p,ctrl-q')], [16, 17]);
  assert.deepEqual([...parseDetachKeys('ctrl-a,x')], [1, 120]);
  assert.deepEqual([...parseDetachKeys('ctrl-@,ctrl-[,ctrl-\\,ctrl-],ctrl-^,ctrl-_')], [0, 27, 28, 29, 30, 31]);
  assert.throws(() => parseDetachKeys('ctrl-1'), /invalid detach keys/);
  assert.throws(() => parseDetachKeys('alt-x'), /invalid detach keys/);
});

test('detector buffers partial matches, detaches', () => {
  const detector = new DetachKeyDetector(Buffer.from([16, 17]));
  assert.deepEqual(detector.feed(Buffer.from('ab')), { forward: Buffer.from('ab'), detached: false });
  // A lone ctrl-p is held back until the next byte shows it is not the sequence.
  assert.deepEqual(detector.feed(Buffer.from([16])), { forward: Buffer.alloc(0), detached: false });
  assert.deepEqual(detector.feed(Buffer.from('c')), { forward: Buffer.from([16, 99]), detached: false });
  // ctrl-p ctrl-p ctrl-q: the first ctrl-p is released, the last two detach.
  assert.deepEqual(detector.feed(Buffer.from([120, 16, 16, 17, 121])), { forward: Buffer.from([120, 16]), detached: true });

  const single = new DetachKeyDetector(Buffer.from([1]));
  assert.deepEqual(single.feed(Buffer.from([65, 1])), { forward: Buffer.from([65]), detached: true });
});
