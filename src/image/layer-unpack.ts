// Unpacks one layer tar stream (plain or compressed) into a directory and
// computes its diff ID, the sha256 of the uncompressed tar.
import tar from 'tar-stream';
import type { Logger } from '../common/logger';
import { decompress, type Compression } from './decompress';
import { LayerWriter, type OpenFile, type SkippedEntry } from './layer-writer';
import { captureRawXattrs } from './pax-xattrs';
import { OffThreadSha256 } from './sha256-worker';

export interface UnpackResult {
  diffId: string;
  compression: Compression;
  // Bytes of regular file content in the layer.
  size: number;
  // Length of the uncompressed tar stream.
  tarSize: number;
  skipped: SkippedEntry[];
}

// Unpacks source into destination, an existing empty directory. Throws when
// the stream is not a valid tar or a write fails; hostile entries are
// skipped and listed in the result (see LayerWriter).
export async function unpackLayer(source: AsyncIterable<Buffer>, destination: string, logger: Logger): Promise<UnpackResult> {
  const { compression, data } = await decompress(source);
  const writer = new LayerWriter(destination, logger);
  // Old v7 headers (no "ustar" magic) are accepted, as Go's archive/tar does.
  const extract = tar.extract({ allowUnknownFormat: true } as Parameters<typeof tar.extract>[0]);
  captureRawXattrs(extract);
  extract.on('entry', (header, entryStream, next) => handleEntry(writer, header, entryStream, next));

  let failure: Error | null = null;
  const finished = new Promise<void>((resolve, reject) => {
    extract.on('finish', () => resolve());
    extract.on('error', (error: Error) => {
      failure = error;
      reject(error);
    });
  });
  // Keeps an early rejection from being reported as unhandled while the loop below is still writing.
  finished.catch(() => undefined);

  const hash = new OffThreadSha256();
  let tarSize = 0;
  try {
    for await (const chunk of data) {
      hash.update(chunk);
      tarSize += chunk.length;
      if (!extract.write(chunk)) await waitForDrain(extract, finished);
      if (failure) throw failure;
    }
    // streamx's typings declare end's argument as required; undefined writes nothing.
    extract.end(undefined);
    await finished;
  } catch (error) {
    extract.destroy(error as Error);
    hash.cancel();
    throw error;
  }

  writer.finish();
  return { diffId: await hash.digest(), compression, size: writer.contentSize, tarSize, skipped: writer.skipped };
}

type EntryStream = tar.ExtractEvents['entry'][1];

function handleEntry(writer: LayerWriter, header: tar.Header, entryStream: EntryStream, next: (error?: Error | null) => void): void {
  let file: OpenFile | null;
  try {
    file = writer.begin(header);
  } catch (error) {
    entryStream.resume();
    next(error as Error);
    return;
  }

  if (file === null) {
    entryStream.on('end', () => next());
    entryStream.resume();
    return;
  }

  const open = file;
  let writeError: Error | null = null;
  let closed = false;
  entryStream.on('data', (data: unknown) => {
    const chunk = data as Buffer;
    if (writeError) return;
    try {
      writer.writeData(open, chunk);
    } catch (error) {
      writeError = new Error(`unpack entry "${header.name}": ${(error as Error).message}`, { cause: error });
    }
  });
  entryStream.on('end', () => {
    closed = true;
    if (writeError) {
      writer.abandonFile(open);
      next(writeError);
      return;
    }
    try {
      writer.finishFile(open);
      next();
    } catch (error) {
      next(error as Error);
    }
  });
  // The extract destroys the entry stream when the tar stream fails mid-entry.
  entryStream.on('close', () => {
    if (!closed) {
      closed = true;
      writer.abandonFile(open);
    }
  });
}

function waitForDrain(extract: tar.Extract, finished: Promise<void>): Promise<void> {
  return Promise.race([
    new Promise<void>((resolve) => extract.once('drain', () => resolve())),
    // Resolves (or rejects) when the extract fails and will never drain.
    finished,
  ]);
}
