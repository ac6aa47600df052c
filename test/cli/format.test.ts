// Table alignment, list formats (ps, images, volume ls) and docker's units,
// with expected text recorded from docker 28 on the same API responses.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { alignColumns } from '../../src/cli/format/tabwriter';
import { renderList, FormatError } from '../../src/cli/format/formatter';
import {
  CONTAINER_HEADERS,
  ContainerRow,
  DEFAULT_CONTAINER_TABLE,
  DEFAULT_IMAGE_TABLE,
  displayablePorts,
  ellipsis,
  IMAGE_HEADERS,
  imageRows,
  type ApiContainerSummary,
} from '../../src/cli/format/contexts';
import { binarySize, humanDuration, humanSize, humanSizeWithPrecision, parseGoDuration, parseRamBytes, parseTimestampArgument } from '../../src/cli/format/units';
import { indentJson } from '../../src/cli/format/json-indent';

test('tabwriter padding 3, minimum width 10', () => {
  const text = 'A\tBB\tC\nlonger cell\tx\tlast\n';
  assert.equal(alignColumns(text), 'A             BB        C\nlonger cell   x         last\n');
  // The last cell of a line is never padded, and a line without tabs ends the column block.
  assert.equal(alignColumns('a\tb\nplain\nc\td\n'), 'a         b\nplain\nc         d\n');
  // Widths count Unicode code points, as Go's tabwriter does.
  assert.equal(alignColumns('…\tx\nab\ty\n'), '…         x\nab        y\n');
  assert.equal(alignColumns('UID\tCMD\nroot\tsh\n', { minWidth: 20, padding: 3 }), `UID${' '.repeat(17)}CMD\nroot${' '.repeat(16)}sh\n`);
});

const NOW = Date.UTC(2025, 0, 2, 3, 4, 5);
const CONTAINERS: ApiContainerSummary[] = [
  {
    Id: 'a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90',
    Names: ['/web'],
    Image: 'busybox',
    ImageID: 'sha256:3f57d9401f8d42f986df300f0c69192fc41da28ccc8d797829467780db3dd741',
    Command: 'sh -c \'while true; do echo "hello world"; sleep 1; done\'',
    Created: NOW / 1000 - 75,
    Ports: [
      { IP: '0.0.0.0', PrivatePort: 80, PublicPort: 8080, Type: 'tcp' },
      { IP: '::', PrivatePort: 80, PublicPort: 8080, Type: 'tcp' },
      { PrivatePort: 443, Type: 'tcp' },
    ],
    Labels: { b: 'two', a: '1' },
    State: 'running',
    Status: 'Up About a minute',
    NetworkSettings: { Networks: { bridge: {} } },
    Mounts: [{ Name: 'myvol', Source: '/var/lib/x', Driver: 'local' }],
    SizeRw: 12345,
    SizeRootFs: 4261550,
  },
  {
    Id: 'ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100',
    Names: ['/old_one', '/web/link'],
    Image: 'docker.io/library/busybox:latest',
    ImageID: 'sha256:3f57d9401f8d42f986df300f0c69192fc41da28ccc8d797829467780db3dd741',
    Command: 'true',
    Created: NOW / 1000 - 3 * 86400,
    Ports: [],
    Labels: {},
    State: 'exited',
    Status: 'Exited (0) 2 days ago',
    NetworkSettings: { Networks: {} },
    Mounts: [],
    SizeRw: 0,
    SizeRootFs: 0,
  },
];

function psOutput(format: string, options: { truncate?: boolean; quiet?: boolean } = {}): string {
  const rows = CONTAINERS.map((container) => new ContainerRow(container, options.truncate ?? true, NOW));
  return renderList({ format, defaultTable: DEFAULT_CONTAINER_TABLE, quietFormat: '{{.ID}}', quiet: options.quiet ?? false, headers: CONTAINER_HEADERS, validateRawFormat: true }, rows);
}

test('ps default table matches docker', () => {
  const expected = [
    'CONTAINER ID   IMAGE            COMMAND                  CREATED              STATUS                  PORTS                                              NAMES',
    'a1b2c3d4e5f6   busybox          "sh -c \'while true; …"   About a minute ago   Up About a minute       443/tcp, 0.0.0.0:8080->80/tcp, [::]:8080->80/tcp   web',
    'ffeeddccbbaa   busybox:latest   "true"                   3 days ago           Exited (0) 2 days ago                                                      old_one',
    '',
  ].join('\n');
  assert.equal(psOutput(''), expected);
  assert.equal(psOutput('', { quiet: true }), 'a1b2c3d4e5f6\nffeeddccbbaa\n');
});

test('ps json and custom formats', () => {
  const json = psOutput('json').split('\n')[0];
  assert.equal(
    json,
    '{"Command":"\\"sh -c \'while true; …\\"","CreatedAt":"2025-01-02 03:02:50 +0000 UTC","ID":"a1b2c3d4e5f6","Image":"busybox","Labels":"a=1,b=two","LocalVolumes":"1","Mounts":"myvol","Names":"web","Networks":"bridge","Platform":null,"Ports":"443/tcp, 0.0.0.0:8080-\\u003e80/tcp, [::]:8080-\\u003e80/tcp","RunningFor":"About a minute ago","Size":"12.3kB (virtual 4.26MB)","State":"running","Status":"Up About a minute"}',
  );
  assert.equal(psOutput('table {{.Names}}\\t{{.Label "b"}}\\t{{.Size}}'), 'NAMES     b         SIZE\nweb       two       12.3kB (virtual 4.26MB)\nold_one             0B\n');
  assert.equal(psOutput('{{.Names}}', { truncate: false }), 'web\nold_one,web/link\n');
  assert.equal(psOutput('{{.Image}}', { truncate: false }), 'busybox\ndocker.io/library/busybox:latest\n');
});

test('ps format errors match docker', () => {
  assert.throws(() => psOutput('table {{.Names}}\\t{{.Nope}}'), (error: unknown) => error instanceof FormatError && error.message === 'failed to execute template: template: :1:20: executing "" at <.Nope>: can\'t evaluate field Nope in type *formatter.ContainerContext');
  assert.throws(() => psOutput('{{.Names'), (error: unknown) => error instanceof FormatError && error.message === 'failed to parse template: template: :1: unclosed action');
});

test('images rows and table', () => {
  const images = [
    { Id: 'sha256:3f57d9401f8d42f986df300f0c69192fc41da28ccc8d797829467780db3dd741', RepoTags: ['busybox:latest', 'myrepo/tool:1.0'], RepoDigests: ['busybox@sha256:ab12cd34ef56ab12cd34ef56ab12cd34ef56ab12cd34ef56ab12cd34ef56ab12'], Created: NOW / 1000 - 86400 * 40, Size: 4261550, SharedSize: -1, Containers: -1 },
    { Id: 'sha256:1111111111111111111111111111111111111111111111111111111111111111', RepoTags: [], RepoDigests: [], Created: NOW / 1000 - 8, Size: 999, SharedSize: -1, Containers: -1 },
  ];
  const rows = imageRows(images, { truncate: true, digests: false, now: NOW });
  const output = renderList({ format: '', defaultTable: DEFAULT_IMAGE_TABLE, quietFormat: '{{.ID}}', quiet: false, headers: IMAGE_HEADERS }, rows);
  assert.equal(
    output,
    [
      'REPOSITORY    TAG       IMAGE ID       CREATED         SIZE',
      'busybox       latest    3f57d9401f8d   5 weeks ago     4.26MB',
      'myrepo/tool   1.0       3f57d9401f8d   5 weeks ago     4.26MB',
      '<none>        <none>    111111111111   8 seconds ago   999B',
      '',
    ].join('\n'),
  );
  const json = renderList({ format: 'json', defaultTable: DEFAULT_IMAGE_TABLE, quietFormat: '{{.ID}}', quiet: false, headers: IMAGE_HEADERS }, rows.slice(2));
  assert.equal(json, '{"Containers":"N/A","CreatedAt":"2025-01-02 03:03:57 +0000 UTC","CreatedSince":"8 seconds ago","Digest":"\\u003cnone\\u003e","ID":"111111111111","Repository":"\\u003cnone\\u003e","SharedSize":"N/A","Size":"999B","Tag":"\\u003cnone\\u003e","UniqueSize":"N/A","VirtualSize":"999B"}\n');
  const withDigests = imageRows(images.slice(0, 1), { truncate: true, digests: true, now: NOW });
  assert.deepEqual(
    withDigests.map((row) => `${row.Repository()}:${row.Tag()}@${row.Digest()}`),
    ['busybox:latest@sha256:ab12cd34ef56ab12cd34ef56ab12cd34ef56ab12cd34ef56ab12cd34ef56ab12', 'myrepo/tool:1.0@<none>'],
  );
});

test('ports group ranges and mappings', () => {
  assert.equal(
    displayablePorts([
      { PrivatePort: 8002, Type: 'tcp' },
      { PrivatePort: 8000, Type: 'tcp' },
      { PrivatePort: 8001, Type: 'tcp' },
      { PrivatePort: 53, Type: 'udp' },
      { IP: '0.0.0.0', PrivatePort: 9000, PublicPort: 9000, Type: 'tcp' },
      { IP: '0.0.0.0', PrivatePort: 9001, PublicPort: 9001, Type: 'tcp' },
    ]),
    '53/udp, 8000-8002/tcp, 0.0.0.0:9000-9001->9000-9001/tcp',
  );
  assert.equal(displayablePorts([]), '');
});

test('ellipsis cuts to a display width', () => {
  assert.equal(ellipsis('abcdef', 4), 'abc…');
  assert.equal(ellipsis('abc', 4), 'abc');
  assert.equal(ellipsis('abc', 0), '');
});

test('human sizes and durations', () => {
  const sizes: Array<[number, number, string]> = [
    [0, 3, '0B'],
    [999, 3, '999B'],
    [12345, 3, '12.3kB'],
    [4261550, 3, '4.26MB'],
    [4261550, 4, '4.262MB'],
    [1000000, 3, '1MB'],
    [999999, 3, '1e+03kB'],
  ];
  for (const [bytes, precision, expected] of sizes) assert.equal(humanSizeWithPrecision(bytes, precision), expected, `${bytes}`);
  assert.equal(humanSize(12345), '12.35kB');
  assert.equal(binarySize(25_000_000_000), '23.28GiB');

  const durations: Array<[number, string]> = [
    [500, 'Less than a second'],
    [1000, '1 second'],
    [2000, '2 seconds'],
    [59_000, '59 seconds'],
    [75_000, 'About a minute'],
    [120_000, '2 minutes'],
    [3_600_000, 'About an hour'],
    [5 * 3_600_000, '5 hours'],
    [3 * 86_400_000, '3 days'],
    [40 * 86_400_000, '5 weeks'],
    [100 * 86_400_000, '3 months'],
    [800 * 86_400_000, '2 years'],
  ];
  for (const [milliseconds, expected] of durations) assert.equal(humanDuration(milliseconds), expected, `${milliseconds} ms`);
});

test('memory sizes and time arguments parse like docker', () => {
  const sizes: Array<[string, number]> = [
    ['1024', 1024],
    ['1k', 1024],
    ['1K', 1024],
    ['512m', 512 * 1024 ** 2],
    ['1.5g', 1.5 * 1024 ** 3],
    ['2 GiB', 2 * 1024 ** 3],
    ['10mb', 10 * 1024 ** 2],
    ['7b', 7],
  ];
  for (const [text, bytes] of sizes) assert.equal(parseRamBytes(text), bytes, text);
  assert.throws(() => parseRamBytes('abc'), /invalid size: 'abc'/);
  assert.throws(() => parseRamBytes('1x'), /invalid suffix: 'x'/);
  assert.throws(() => parseRamBytes('1kbb'), /invalid suffix/);

  assert.equal(parseGoDuration('1h30m'), 5_400_000);
  assert.equal(parseGoDuration('-1.5s'), -1500);
  assert.throws(() => parseGoDuration('10'), /invalid duration/);

  const now = new Date(Date.UTC(2025, 0, 2, 3, 4, 5));
  assert.equal(parseTimestampArgument('10m', now), String(Date.UTC(2025, 0, 2, 2, 54, 5) / 1000));
  assert.equal(parseTimestampArgument('2025-01-02T03:04:05Z', now), `${Date.UTC(2025, 0, 2, 3, 4, 5) / 1000}.000000000`);
  assert.equal(parseTimestampArgument('2025-01-02T03:04:05.5+01:00', now), `${Date.UTC(2025, 0, 2, 2, 4, 5) / 1000}.500000000`);
  assert.equal(parseTimestampArgument('1735787045.25', now), '1735787045.25');
  assert.throws(() => parseTimestampArgument('yesterday', now), /failed to parse value as time or duration: "yesterday"/);
});

test('JSON indent keeps raw numbers', () => {
  assert.equal(indentJson('{"a":[1,{"b":{}}],"c":[],"d":9223372036854775807,"e":"x,{\\"y"}', '    '), '{\n    "a": [\n        1,\n        {\n            "b": {}\n        }\n    ],\n    "c": [],\n    "d": 9223372036854775807,\n    "e": "x,{\\"y"\n}');
  assert.equal(indentJson('[]', '    '), '[]');
});
