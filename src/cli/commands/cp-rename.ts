// Renames the entries of a tar stream on the fly, for copies whose destination gets a new name.
import { Readable } from 'node:stream';
import tar from 'tar-stream';

export function renameTarEntries(source: NodeJS.ReadableStream, rename: (name: string) => string): Readable {
  const extract = tar.extract();
  const pack = tar.pack();
  extract.on('entry', (header, stream, next) => {
    const renamed = { ...header, name: rename(header.name) };
    if (header.type === 'link' && header.linkname) renamed.linkname = rename(header.linkname);
    const sink = pack.entry(renamed, (error) => next(error ?? undefined));
    stream.on('data', (chunk: unknown) => {
      sink.write(chunk as Buffer);
    });
    stream.on('end', () => {
      sink.end(undefined as unknown as Buffer);
    });
  });
  extract.on('finish', () => pack.finalize());
  extract.on('error', (error: Error) => pack.destroy(error));
  source.on('error', (error: Error) => extract.destroy(error));
  source.pipe(extract as unknown as NodeJS.WritableStream);
  return pack as unknown as Readable;
}
