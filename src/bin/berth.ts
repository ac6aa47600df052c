#!/usr/bin/env node
// The berth command-line client. It exits once stdout and stderr have been
// flushed, because an attached stdin or a kept-alive socket could otherwise
// keep the process running after the command is done.
import { main } from '../cli/main';

function flush(stream: NodeJS.WriteStream): Promise<void> {
  return new Promise((resolve) => {
    if (stream.writableLength === 0) resolve();
    else stream.write('', () => resolve());
  });
}

// A closed pipe on stdout (berth ps | head -1) ends the program quietly, as it ends docker.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(0);
    throw error;
  });
}

main(process.argv.slice(2), { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr })
  .catch((error: unknown) => {
    process.stderr.write(`berth: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    return 1;
  })
  .then(async (exitCode) => {
    await Promise.all([flush(process.stdout), flush(process.stderr)]);
    process.exit(exitCode);
  });
