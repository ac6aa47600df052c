#!/usr/bin/env node
// Attach sessions read conmon's sockets with blocking reads in libuv's thread
// pool, so the pool must be larger than Node's default of 4. It has to be set
// before anything uses the pool, hence before the daemon module loads.
process.env.UV_THREADPOOL_SIZE ??= '64';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { main } = require('../daemon/main') as typeof import('../daemon/main');
main(process.argv.slice(2)).catch((error: unknown) => {
  process.stderr.write(`berthd: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
