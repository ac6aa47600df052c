// The image that bench/registry.ts pulls and pushes: four layers of about
// 200 MB in all, built from generated files and written as an OCI layout
// directory, so skopeo can push it (gzip-compressing each layer) to a
// loopback registry.
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

export interface BenchLayer {
  name: string;
  // The uncompressed layer tar, named by its diff ID in the layout.
  tarFile: string;
  diffId: string;
  size: number;
}

export interface BenchImage {
  layoutDirectory: string;
  layers: BenchLayer[];
}

const MIB = 1024 * 1024;

function sha256File(file: string): string {
  const hash = createHash('sha256');
  const descriptor = fs.openSync(file, 'r');
  try {
    const buffer = Buffer.alloc(4 * MIB);
    for (;;) {
      const read = fs.readSync(descriptor, buffer, 0, buffer.length, null);
      if (read === 0) break;
      hash.update(buffer.subarray(0, read));
    }
  } finally {
    fs.closeSync(descriptor);
  }
  return `sha256:${hash.digest('hex')}`;
}

// Text that gzip shrinks to about a fifth: numbered log-like lines with a random word each.
function compressibleText(bytes: number): Buffer {
  const words = Array.from({ length: 64 }, () => randomBytes(6).toString('hex'));
  const lines: string[] = [];
  let length = 0;
  for (let index = 0; length < bytes; index++) {
    const line = `${String(index).padStart(9, '0')} level=info subsystem=bench message="${words[index % words.length]} ${words[(index * 7) % words.length]}" value=${index % 997}\n`;
    lines.push(line);
    length += line.length;
  }
  return Buffer.from(lines.join('')).subarray(0, bytes);
}

// Each layer: a directory of files, a name and a description for the report.
const LAYER_PLANS: Array<{ name: string; write(directory: string): void }> = [
  {
    name: 'random, 4 × 15 MiB',
    write: (directory) => {
      for (let index = 0; index < 4; index++) fs.writeFileSync(path.join(directory, `random-${index}.bin`), randomBytes(15 * MIB));
    },
  },
  {
    name: 'text, 10 × 5 MiB',
    write: (directory) => {
      for (let index = 0; index < 10; index++) fs.writeFileSync(path.join(directory, `log-${index}.txt`), compressibleText(5 * MIB));
    },
  },
  {
    name: 'random, 5 × 10 MiB',
    write: (directory) => {
      for (let index = 0; index < 5; index++) fs.writeFileSync(path.join(directory, `blob-${index}.bin`), randomBytes(10 * MIB));
    },
  },
  {
    name: 'text, 2000 × 20 KiB in 20 directories',
    write: (directory) => {
      const text = compressibleText(20 * 1024 * 2000);
      for (let index = 0; index < 2000; index++) {
        const subdirectory = path.join(directory, `dir-${index % 20}`);
        fs.mkdirSync(subdirectory, { recursive: true });
        fs.writeFileSync(path.join(subdirectory, `file-${index}.txt`), text.subarray(index * 20 * 1024, (index + 1) * 20 * 1024));
      }
    },
  },
];

function writeBlob(layoutDirectory: string, content: Buffer): { digest: string; size: number } {
  const digest = `sha256:${createHash('sha256').update(content).digest('hex')}`;
  fs.writeFileSync(path.join(layoutDirectory, 'blobs/sha256', digest.slice(7)), content);
  return { digest, size: content.length };
}

// Generates the layers with GNU tar under work and writes the OCI layout, tagged "latest".
export function buildBenchImage(work: string): BenchImage {
  const layoutDirectory = path.join(work, 'layout');
  fs.mkdirSync(path.join(layoutDirectory, 'blobs/sha256'), { recursive: true });

  const layers: BenchLayer[] = LAYER_PLANS.map((plan, index) => {
    const directory = path.join(work, `layer-${index}`);
    fs.mkdirSync(path.join(directory, `layer-${index}`), { recursive: true });
    plan.write(path.join(directory, `layer-${index}`));
    const tarFile = path.join(work, `layer-${index}.tar`);
    execFileSync('tar', ['--numeric-owner', '--owner=0', '--group=0', '--sort=name', '-cf', tarFile, '-C', directory, '.']);
    fs.rmSync(directory, { recursive: true, force: true });
    const diffId = sha256File(tarFile);
    fs.linkSync(tarFile, path.join(layoutDirectory, 'blobs/sha256', diffId.slice(7)));
    return { name: plan.name, tarFile, diffId, size: fs.statSync(tarFile).size };
  });

  const config = {
    architecture: 'amd64',
    os: 'linux',
    config: { Cmd: ['/bin/sh'] },
    rootfs: { type: 'layers', diff_ids: layers.map((layer) => layer.diffId) },
    history: layers.map((layer) => ({ created_by: `bench layer: ${layer.name}` })),
  };
  const configBlob = writeBlob(layoutDirectory, Buffer.from(JSON.stringify(config)));
  const manifest = {
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...configBlob },
    layers: layers.map((layer) => ({ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: layer.diffId, size: layer.size })),
  };
  const manifestBlob = writeBlob(layoutDirectory, Buffer.from(JSON.stringify(manifest)));
  const index = {
    schemaVersion: 2,
    manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', ...manifestBlob, annotations: { 'org.opencontainers.image.ref.name': 'latest' } }],
  };
  fs.writeFileSync(path.join(layoutDirectory, 'index.json'), JSON.stringify(index));
  fs.writeFileSync(path.join(layoutDirectory, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  return { layoutDirectory, layers };
}
