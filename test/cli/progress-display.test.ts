// The pull and push progress display: docker's bar layout, the in-place
// redraw on a terminal, and the plain lines without one.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough, Readable } from 'node:stream';
import { displayProgressStream, renderProgressBar, type ProgressMessage } from '../../src/cli/commands/progress-display';
import { main } from '../../src/cli/main';

const LAYER_A = '35691178216a';
const LAYER_B = 'aabbccddeeff';

const PULL_MESSAGES: ProgressMessage[] = [
  { status: 'Pulling from library/busybox', id: 'latest' },
  { status: 'Pulling fs layer', progressDetail: {}, id: LAYER_A },
  { status: 'Pulling fs layer', progressDetail: {}, id: LAYER_B },
  { status: 'Downloading', progressDetail: { current: 1_200_000, total: 3_400_000 }, id: LAYER_A },
  { status: 'Download complete', progressDetail: {}, id: LAYER_B },
  { status: 'Pull complete', progressDetail: {}, id: LAYER_A },
  { status: 'Digest: sha256:cbf1' },
  { status: 'Status: Downloaded newer image for busybox:latest' },
];

function streamOf(messages: object[]): Readable {
  return Readable.from(messages.map((message) => `${JSON.stringify(message)}\r\n`));
}

async function render(messages: object[], isTerminal: boolean, columns = 120): Promise<string> {
  const sink = new PassThrough();
  const chunks: Buffer[] = [];
  sink.on('data', (chunk: Buffer) => chunks.push(chunk));
  await displayProgressStream(streamOf(messages), { stream: Object.assign(sink, { columns }), isTerminal });
  return Buffer.concat(chunks).toString();
}

test('progress bar matches docker layout', () => {
  assert.equal(renderProgressBar({ current: 1_200_000, total: 3_400_000 }, 120), `[${'='.repeat(17)}>${' '.repeat(33)}]    1.2MB/3.4MB`);
  assert.equal(renderProgressBar({ current: 3_400_000, total: 3_400_000 }, 120), `[${'='.repeat(50)}>]    3.4MB/3.4MB`);
  assert.equal(renderProgressBar({ current: 1_200_000, total: 3_400_000 }, 80), '   1.2MB/3.4MB', 'no bar at 110 columns or fewer');
  assert.equal(renderProgressBar({ current: 0, total: 0 }, 120), '');
  assert.equal(renderProgressBar({ current: 2048 }, 120), ' 2.048kB');
});

test('progress without terminal prints status lines', async () => {
  const output = await render(PULL_MESSAGES, false);
  assert.equal(
    output,
    [
      'latest: Pulling from library/busybox',
      `${LAYER_A}: Pulling fs layer`,
      `${LAYER_B}: Pulling fs layer`,
      `${LAYER_B}: Download complete`,
      `${LAYER_A}: Pull complete`,
      'Digest: sha256:cbf1',
      'Status: Downloaded newer image for busybox:latest',
      '',
    ].join('\n'),
  );
  assert.doesNotMatch(output, /Downloading/, 'byte counts are left out without a terminal');
  assert.doesNotMatch(output, /\x1b/);
});

test('progress on terminal redraws in place', async () => {
  const output = await render(PULL_MESSAGES, true);
  const bar = `[${'='.repeat(17)}>${' '.repeat(33)}]    1.2MB/3.4MB`;
  // Layer A is on the first of two layer lines: up 2, clear, redraw, down 2.
  assert.ok(output.includes(`\x1b[2A\x1b[2K\r${LAYER_A}: Downloading ${bar}\r\x1b[2B`), JSON.stringify(output));
  // Layer B is on the last line: up 1 and down 1.
  assert.ok(output.includes(`\x1b[1A\x1b[2K\r${LAYER_B}: Download complete \r\x1b[1B`), JSON.stringify(output));
  // Each new layer opens a line before it is drawn.
  assert.ok(output.includes(`\n\x1b[1A\x1b[2K\r${LAYER_B}: Pulling fs layer \r\x1b[1B`), JSON.stringify(output));
  assert.ok(output.endsWith('Digest: sha256:cbf1\nStatus: Downloaded newer image for busybox:latest\n'));
});

test('progress error message fails the stream', async () => {
  const messages = [{ status: 'Pulling from library/x', id: 'latest' }, { errorDetail: { message: 'manifest unknown' }, error: 'manifest unknown' }];
  await assert.rejects(render(messages, false), /^Error: manifest unknown$/);
  await assert.rejects(render([{ errorDetail: { code: 401, message: 'x' }, error: 'x' }], false), /authentication is required/);
  assert.equal(await render(messages.slice(0, 1), false), 'latest: Pulling from library/x\n', 'positive control: no error, no rejection');
});

test('save rejects terminal stdout', async () => {
  const stdout = Object.assign(new PassThrough(), { isTTY: true });
  const stderr = new PassThrough();
  const errors: Buffer[] = [];
  stderr.on('data', (chunk: Buffer) => errors.push(chunk));
  const streams = { stdin: new PassThrough(), stdout, stderr };
  // No daemon is needed: the check runs before any request. BERTH_HOST points at a socket that does not exist.
  const environment = { BERTH_HOST: 'unix:///nonexistent/berth-test.sock', BERTH_NO_AUTOSTART: '1' };
  assert.equal(await main(['save', 'busybox'], streams, environment), 1);
  assert.equal(Buffer.concat(errors).toString(), 'cowardly refusing to save to a terminal. Use the -o flag or redirect\n');

  errors.length = 0;
  const pipeStdout = new PassThrough();
  assert.equal(await main(['save', 'busybox'], { ...streams, stdout: pipeStdout }, environment), 1);
  assert.doesNotMatch(Buffer.concat(errors).toString(), /cowardly/, 'positive control: a pipe is accepted, so the error is the missing daemon');
});
