import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable, Writable } from 'node:stream';
import { displayBuildStream, liveDisplay, plainDisplay } from '../../src/cli/commands/build-progress';
import { CliError } from '../../src/cli/command';

function capture(): Writable & { text: () => string; columns: number } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      chunks.push(chunk.toString());
      callback();
    },
  });
  return Object.assign(stream, { text: () => chunks.join(''), columns: 80 });
}

function messages(...items: object[]): Readable {
  return Readable.from([Buffer.from(items.map((item) => `${JSON.stringify(item)}\r\n`).join(''))]);
}

const IMAGE_ID = `sha256:${'ef'.repeat(32)}`;

test('progress plain prints stream', async () => {
  const output = capture();
  const imageId = await displayBuildStream(messages({ stream: 'Step 1/2 : FROM busybox\n' }, { stream: ' ---> 1234\n' }, { aux: { ID: IMAGE_ID } }, { stream: 'Successfully built 1234\n' }), plainDisplay(output));
  assert.equal(imageId, IMAGE_ID);
  assert.equal(output.text(), 'Step 1/2 : FROM busybox\n ---> 1234\nSuccessfully built 1234\n');
});

test('progress live view redraws', async () => {
  const output = capture();
  const lines = Array.from({ length: 10 }, (_, index) => ({ stream: `output line ${index}\n` }));
  const done = [{ aux: { ID: IMAGE_ID } }, { stream: 'Successfully built efefefefefef\n' }];
  await displayBuildStream(messages({ stream: 'Step 1/2 : FROM busybox\n' }, { stream: 'Step 2/2 : RUN make\n' }, ...lines, ...done), liveDisplay(output));
  const text = output.text();

  assert.match(text, /\x1b\[\d+A/, 'earlier frames are overwritten by moving the cursor up');
  assert.match(text, / ✔ Step 1\/2 : FROM busybox/);
  assert.match(text, /=> Step 2\/2 : RUN make/);
  assert.match(text, /│ output line 9/);
  // The last frame before finishing shows only the last six output lines.
  const frames = text.split('[+] Building');
  const beforeFinish = frames.at(-2) ?? '';
  assert.doesNotMatch(beforeFinish, /output line 3\b/);
  assert.match(beforeFinish, /output line 4/);
  // The final frame marks every step done, then the summary follows below it.
  const finalFrame = frames.at(-1) ?? '';
  assert.match(finalFrame, /FINISHED/);
  assert.match(finalFrame, / ✔ Step 2\/2 : RUN make/);
  assert.doesNotMatch(finalFrame, /output line/);
  assert.match(text, /Successfully built efefefefefef\n$/);
});

test('progress live view width', async () => {
  const output = capture();
  output.columns = 0;
  const long = `Step 1/1 : RUN ${'x'.repeat(200)}\n`;
  await displayBuildStream(messages({ stream: long }, { aux: { ID: IMAGE_ID } }), liveDisplay(output));
  const stepLines = output.text().split('\n').filter((line) => line.includes('Step 1/1'));
  assert.ok(stepLines.length > 0);
  for (const line of stepLines) assert.equal(line.replace(/\x1b\[\d*[A-Z]/g, '').length, 79, 'a terminal without a size is taken as 80 columns');
});

test('progress error message throws', async () => {
  const output = capture();
  const message = "The command '/bin/sh -c exit 2' returned a non-zero code: 2";
  await assert.rejects(
    displayBuildStream(messages({ stream: 'Step 1/1 : RUN exit 2\n' }, { errorDetail: { code: 2, message }, error: message }), plainDisplay(output)),
    (error: unknown) => error instanceof CliError && error.message === message && error.exitCode === 1,
  );
  assert.equal(output.text(), 'Step 1/1 : RUN exit 2\n');
});
