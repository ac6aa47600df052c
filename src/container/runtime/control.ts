// conmon's control FIFOs: writes "<type> <height> <width>\n" to the "ctl"
// FIFO in a bundle or exec directory. Type 1 resizes the terminal (conmon
// 2.1.6 src/ctrl.c).
import fs from 'node:fs/promises';
import { constants as fsConstants } from 'node:fs';
import { ConflictError, InvalidArgumentError, hasErrorCode } from '../../common/errors';

const RESIZE_MESSAGE_TYPE = 1;

export async function writeResizeMessage(fifo: string, height: number, width: number, description: string): Promise<void> {
  if (!Number.isInteger(height) || !Number.isInteger(width) || height < 0 || width < 0 || height > 65535 || width > 65535) {
    throw new InvalidArgumentError(`resize ${description}: invalid size ${height}x${width}: height and width must be integers from 0 to 65535`);
  }
  let handle: fs.FileHandle;
  try {
    // Non-blocking, so a FIFO without a reader fails at once instead of hanging.
    handle = await fs.open(fifo, fsConstants.O_WRONLY | fsConstants.O_NONBLOCK);
  } catch (error) {
    if (hasErrorCode(error, 'ENOENT') || hasErrorCode(error, 'ENXIO')) {
      throw new ConflictError(`resize ${description}: it is not running`, { cause: error });
    }
    throw error;
  }
  try {
    await handle.write(`${RESIZE_MESSAGE_TYPE} ${height} ${width}\n`);
  } finally {
    await handle.close();
  }
}
