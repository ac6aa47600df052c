// The request and result of one build, as the engine and the API use them.
// The API decodes POST /build into a BuildRequest, and the builder streams
// Docker's JSON messages back through BuildProgress.
import type { Readable } from 'node:stream';
import type { PullPolicy } from './host';

export interface BuildRequest {
  // The build context as a tar stream (possibly gzip, bzip2 or xz compressed, as Docker accepts).
  context: Readable;
  // Path of the Dockerfile inside the context ("Dockerfile" by default), or a URL-less path given with -f.
  dockerfile: string;
  tags: string[];
  target: string | null;
  buildArgs: Record<string, string | null>;
  labels: Record<string, string>;
  noCache: boolean;
  pull: PullPolicy;
  platform: string | null;
  // Remove intermediate containers after a successful or failed build. Berth always removes them.
  quiet: boolean;
  networkMode: 'default' | 'none' | 'host';
  // The X-Registry-Config header as sent, or null.
  registryConfig: string | null;
  // Aborted when the client goes away: the build stops and cleans up.
  signal: AbortSignal;
}

// One message of the classic builder's JSON stream, as Docker sends them:
// {"stream": "Step 1/4 : FROM busybox\n"}, {"aux": {"ID": "sha256:..."}},
// {"status": ..., "progressDetail": ...} for pulls, and
// {"errorDetail": {"code": 2, "message": ...}, "error": ...} on failure.
export type BuildMessage = Record<string, unknown>;

export type BuildProgress = (message: BuildMessage) => void;

export interface BuildResult {
  imageId: string;
  // The normalized references that the image was tagged with.
  tags: string[];
}
