// Argument shapes, flags, stages and errors of every Dockerfile instruction.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { flagValue, parseDockerfile, parseMountSpec } from '../../src/builder/dockerfile';
import { InstructionProblem } from '../../src/builder/dockerfile/problem';
import type { Instruction } from '../../src/builder/dockerfile/types';

// Parses one instruction placed after `FROM busybox` on line 2.
function only(instructionLine: string): Instruction {
  const instructions = parseDockerfile(`FROM busybox\n${instructionLine}\n`).stages[0].instructions;
  assert.equal(instructions.length, 1);
  return instructions[0];
}

// Returns the instruction without its position fields, for deepEqual against a table.
function shape(instruction: Instruction): Record<string, unknown> {
  const { line: _line, endLine: _endLine, original: _original, heredocs: _heredocs, ...rest } = instruction;
  return rest;
}

test('instruction shapes', () => {
  const cases: Array<[string, Record<string, unknown>]> = [
    ['RUN echo "a b"', { keyword: 'RUN', flags: [], command: { form: 'shell', text: 'echo "a b"' } }],
    ['RUN ["echo", "a b"]', { keyword: 'RUN', flags: [], command: { form: 'exec', args: ['echo', 'a b'] } }],
    ['run  ["/bin/sh","-c","x"]  ', { keyword: 'RUN', flags: [], command: { form: 'exec', args: ['/bin/sh', '-c', 'x'] } }],
    ['CMD ["nginx", "-g", "daemon off;"]', { keyword: 'CMD', flags: [], command: { form: 'exec', args: ['nginx', '-g', 'daemon off;'] } }],
    ['CMD []', { keyword: 'CMD', flags: [], command: { form: 'exec', args: [] } }],
    ['ENTRYPOINT exec top -b', { keyword: 'ENTRYPOINT', flags: [], command: { form: 'shell', text: 'exec top -b' } }],
    ['SHELL ["powershell", "-command"]', { keyword: 'SHELL', flags: [], shell: ['powershell', '-command'] }],
    ['ENV A=1 B="two words" C=three\\ words', { keyword: 'ENV', flags: [], pairs: [{ key: 'A', value: '1' }, { key: 'B', value: '"two words"' }, { key: 'C', value: 'three\\ words' }] }],
    ['ENV MY_NAME John Doe', { keyword: 'ENV', flags: [], pairs: [{ key: 'MY_NAME', value: 'John Doe' }] }],
    ['ENV EMPTY=', { keyword: 'ENV', flags: [], pairs: [{ key: 'EMPTY', value: '' }] }],
    ['ARG VERSION', { keyword: 'ARG', flags: [], args: [{ name: 'VERSION' }] }],
    ['ARG A=1 B="x y"', { keyword: 'ARG', flags: [], args: [{ name: 'A', defaultValue: '1' }, { name: 'B', defaultValue: '"x y"' }] }],
    ['LABEL "com.example.vendor"="ACME Inc" version=1.0', { keyword: 'LABEL', flags: [], pairs: [{ key: '"com.example.vendor"', value: '"ACME Inc"' }, { key: 'version', value: '1.0' }] }],
    ['EXPOSE 80/tcp 53/udp', { keyword: 'EXPOSE', flags: [], values: ['80/tcp', '53/udp'] }],
    ['VOLUME ["/data", "/logs"]', { keyword: 'VOLUME', flags: [], values: ['/data', '/logs'] }],
    ['VOLUME /data /logs', { keyword: 'VOLUME', flags: [], values: ['/data', '/logs'] }],
    ['USER app:app', { keyword: 'USER', flags: [], value: 'app:app' }],
    ['WORKDIR /srv/my app', { keyword: 'WORKDIR', flags: [], value: '/srv/my app' }],
    ['STOPSIGNAL SIGQUIT', { keyword: 'STOPSIGNAL', flags: [], value: 'SIGQUIT' }],
    ['MAINTAINER Jane <jane@example.com>', { keyword: 'MAINTAINER', flags: [], value: 'Jane <jane@example.com>' }],
    ['HEALTHCHECK NONE', { keyword: 'HEALTHCHECK', flags: [], command: null }],
    [
      'HEALTHCHECK --interval=5m --timeout=3s --retries=3 CMD curl -f http://localhost/ || exit 1',
      {
        keyword: 'HEALTHCHECK',
        flags: [{ name: 'interval', value: '5m' }, { name: 'timeout', value: '3s' }, { name: 'retries', value: '3' }],
        command: { form: 'shell', text: 'curl -f http://localhost/ || exit 1' },
      },
    ],
    ['HEALTHCHECK --start-period=1.5m --start-interval=1m30s --timeout=1ms CMD true', {
      keyword: 'HEALTHCHECK',
      flags: [{ name: 'start-period', value: '1.5m' }, { name: 'start-interval', value: '1m30s' }, { name: 'timeout', value: '1ms' }],
      command: { form: 'shell', text: 'true' },
    }],
    ['RUN', { keyword: 'RUN', flags: [], command: { form: 'shell', text: '' } }],
    ['VOLUME [" /data "]', { keyword: 'VOLUME', flags: [], values: ['/data'] }],
    ['HEALTHCHECK cmd ["true"]', { keyword: 'HEALTHCHECK', flags: [], command: { form: 'exec', args: ['true'] } }],
  ];

  for (const [line, expected] of cases) {
    assert.deepEqual(shape(only(line)), expected, line);
  }
});

test('bad JSON falls back to shell form', () => {
  const cases = ['CMD [echo, hi]', "CMD ['echo', 'hi']", 'CMD ["echo", "hi"', 'CMD [ "a" ] extra', 'RUN [ -f /x ] && echo yes'];
  for (const line of cases) {
    const instruction = only(line);
    assert.ok(instruction.keyword === 'CMD' || instruction.keyword === 'RUN');
    assert.deepEqual(instruction.command, { form: 'shell', text: line.slice(4) }, line);
  }
});

test('JSON array with non-strings is an error', () => {
  assert.throws(() => only('CMD ["echo", 1]'), /^DockerfileSyntaxError: Dockerfile:2: when using JSON array syntax, arrays must be comprised of strings only$/);
  assert.throws(() => only('VOLUME [1]'), /Dockerfile:2: when using JSON array syntax/);
});

test('COPY and ADD arguments and flags', () => {
  const copy = only('COPY --from=builder --chown=app:app --chmod=0644 --link a.txt "b c" /dest/');
  assert.equal(copy.keyword, 'COPY');
  assert.deepEqual(copy.flags, [
    { name: 'from', value: 'builder' },
    { name: 'chown', value: 'app:app' },
    { name: 'chmod', value: '0644' },
    { name: 'link', value: null },
  ]);
  assert.equal(copy.keyword === 'COPY' && copy.destination, '/dest/');
  assert.deepEqual(copy.keyword === 'COPY' && copy.sources, [{ path: 'a.txt' }, { path: '"b' }, { path: 'c"' }]);
  assert.equal(flagValue(copy.flags, 'link'), 'true');
  assert.equal(flagValue(copy.flags, 'from'), 'builder');
  assert.equal(flagValue(copy.flags, 'parents'), undefined);

  const json = only('ADD ["my file.txt", "/dest dir/"]');
  assert.ok(json.keyword === 'ADD');
  assert.deepEqual(json.sources, [{ path: 'my file.txt' }]);
  assert.equal(json.destination, '/dest dir/');
  assert.equal(json.jsonForm, true);

  const add = only('ADD --checksum=sha256:24454f83 --link=false https://example.com/a.tar /');
  assert.deepEqual(add.flags, [{ name: 'checksum', value: 'sha256:24454f83' }, { name: 'link', value: 'false' }]);
});

test('flag values lose their quotes', () => {
  const run = only('RUN --mount="type=cache,target=/root/.cache" --mount=type=secret,id=npmrc --network=none echo hi');
  assert.deepEqual(run.flags, [
    { name: 'mount', value: 'type=cache,target=/root/.cache' },
    { name: 'mount', value: 'type=secret,id=npmrc' },
    { name: 'network', value: 'none' },
  ]);
  assert.ok(run.keyword === 'RUN');
  assert.deepEqual(run.command, { form: 'shell', text: 'echo hi' });
});

test('double dash ends the flags', () => {
  const run = only('RUN --network=host -- --version');
  assert.ok(run.keyword === 'RUN');
  assert.deepEqual(run.flags, [{ name: 'network', value: 'host' }]);
  assert.deepEqual(run.command, { form: 'shell', text: '--version' });
});

test('mount spec options', () => {
  const options = parseMountSpec('type=cache,target=/root/.cache,sharing=locked,readonly');
  assert.equal(options.get('type'), 'cache');
  assert.equal(options.get('target'), '/root/.cache');
  assert.equal(options.get('sharing'), 'locked');
  assert.equal(options.get('readonly'), 'true');
  assert.equal(parseMountSpec('target=/src').get('type'), 'bind');
  assert.throws(() => parseMountSpec('type=nfs,target=/x'), (error: unknown) => error instanceof InstructionProblem && /unsupported mount type "nfs"/.test(error.message));
  assert.throws(() => parseMountSpec('type=cache'), /mount target is missing/);
});

test('flag errors', () => {
  const cases: Array<[string, RegExp]> = [
    ['COPY --frm=builder a /b', /Dockerfile:2: unknown flag: --frm for COPY/],
    ['COPY --from a /b', /Dockerfile:2: missing a value on flag: --from/],
    ['COPY --from=a --from=b a /b', /Dockerfile:2: duplicate flag specified: --from/],
    ['COPY --link=maybe a /b', /Dockerfile:2: expecting boolean value for flag --link, not: maybe/],
    ['RUN --network=bridge true', /Dockerfile:2: unsupported network mode "bridge"/],
    ['RUN --mount=type=cache true', /Dockerfile:2: mount target is missing/],
    ['USER --chown=a root', /Dockerfile:2: unknown flag: --chown for USER/],
    ['HEALTHCHECK --interval=5 CMD true', /Dockerfile:2: invalid duration "5" for --interval/],
    ['HEALTHCHECK --retries=x CMD true', /Dockerfile:2: invalid --retries "x"/],
    ['HEALTHCHECK --retries=0 CMD true', /Dockerfile:2: --retries must be at least 1 \(not 0\)/],
    ['HEALTHCHECK --timeout=10us CMD true', /Dockerfile:2: --timeout 10us cannot be less than 1ms/],
    ['HEALTHCHECK --timeout=1x CMD true', /Dockerfile:2: invalid duration "1x" for --timeout/],
  ];
  for (const [line, pattern] of cases) assert.throws(() => only(line), pattern, line);
});

test('argument count errors', () => {
  const cases: Array<[string, RegExp]> = [
    ['RUNN echo', /^DockerfileSyntaxError: Dockerfile:2: unknown instruction: RUNN$/],
    ['COPY a', /COPY requires at least two arguments, but only one was provided/],
    ['ADD', /ADD requires at least two arguments, but only none was provided/],
    ['ENV', /ENV requires at least one argument/],
    ['ENV ONLYKEY', /ENV must have two arguments/],
    ['ENV A=1 B', /can't find = in "B"/],
    ['ENV =1', /ENV names can not be blank/],
    ['LABEL', /LABEL requires at least one argument/],
    ['ARG', /ARG requires at least one argument/],
    ['EXPOSE', /EXPOSE requires at least one argument/],
    ['VOLUME', /VOLUME requires at least one argument/],
    ['VOLUME [""]', /VOLUME specified can not be an empty string/],
    ['USER', /USER requires exactly one argument/],
    ['WORKDIR', /WORKDIR requires exactly one argument/],
    ['STOPSIGNAL', /STOPSIGNAL requires exactly one argument/],
    ['SHELL /bin/bash -c', /SHELL requires the arguments to be in JSON form/],
    ['SHELL []', /SHELL requires at least one argument/],
    ['HEALTHCHECK', /unknown type "" in HEALTHCHECK/],
    ['HEALTHCHECK RUN true', /unknown type "RUN" in HEALTHCHECK \(try CMD\)/],
    ['HEALTHCHECK CMD', /missing command after HEALTHCHECK CMD/],
    ['HEALTHCHECK NONE x', /HEALTHCHECK NONE takes no arguments/],
    ['HEALTHCHECK --retries=2 NONE', /options cannot be specified with HEALTHCHECK NONE/],
    ['ONBUILD', /ONBUILD requires at least one argument/],
    ['ONBUILD ONBUILD RUN x', /chaining ONBUILD/],
    ['ONBUILD FROM busybox', /FROM isn't allowed as an ONBUILD trigger/],
    ['ONBUILD MAINTAINER me', /MAINTAINER isn't allowed as an ONBUILD trigger/],
    ['ONBUILD RUNN x', /Dockerfile:2: unknown instruction: RUNN/],
  ];
  for (const [line, pattern] of cases) assert.throws(() => only(line), pattern, line);
});

test('heredoc destination is an error', () => {
  assert.throws(() => parseDockerfile('FROM busybox\nCOPY a <<EOF\nx\nEOF\n'), /^DockerfileSyntaxError: Dockerfile:2: COPY cannot accept a heredoc as a destination$/);
});

test('ONBUILD wraps a trigger', () => {
  const onbuild = only('ONBUILD COPY --chown=app . /app/src');
  assert.ok(onbuild.keyword === 'ONBUILD');
  assert.equal(onbuild.trigger.keyword, 'COPY');
  assert.equal(onbuild.trigger.original, 'COPY --chown=app . /app/src');
  assert.deepEqual(onbuild.trigger.flags, [{ name: 'chown', value: 'app' }]);
  assert.equal(onbuild.trigger.line, 2);
});

test('FROM forms', () => {
  const dockerfile = parseDockerfile('FROM --platform=linux/amd64 golang:1.22 AS Build\nFROM busybox as final\nFROM scratch\nFROM build AS my-stage_1.x\n');
  const [first, second, third, fourth] = dockerfile.stages;
  assert.equal(fourth.name, 'my-stage_1.x');
  assert.equal(first.from.image, 'golang:1.22');
  assert.equal(first.name, 'build');
  assert.deepEqual(first.from.flags, [{ name: 'platform', value: 'linux/amd64' }]);
  assert.equal(second.name, 'final');
  assert.equal(third.name, undefined);
  assert.deepEqual(dockerfile.stages.map((stage) => stage.index), [0, 1, 2, 3]);
});

test('FROM errors', () => {
  const cases: Array<[string, RegExp]> = [
    ['FROM', /^DockerfileSyntaxError: Dockerfile:1: FROM requires either one or three arguments$/],
    ['FROM a b', /Dockerfile:1: FROM requires either one or three arguments/],
    ['FROM a to b', /Dockerfile:1: FROM requires either one or three arguments/],
    ['FROM a AS 1st', /Dockerfile:1: invalid name for build stage: "1st"/],
    ['FROM a AS b$c', /invalid name for build stage/],
    ['FROM a AS x\nFROM b AS X', /Dockerfile:2: duplicate build stage name "x": also used on line 1/],
  ];
  for (const [source, pattern] of cases) assert.throws(() => parseDockerfile(source), pattern, source);
});

test('stages, global args and positions', () => {
  const source = [
    '# syntax=docker/dockerfile:1',
    'ARG BASE=busybox',
    'ARG TAG',
    '',
    'FROM ${BASE}:${TAG} AS build',
    'RUN echo build \\',
    '  step',
    'FROM busybox',
    'COPY --from=build /out /out',
    'CMD ["/out"]',
  ].join('\n');
  const dockerfile = parseDockerfile(source);

  assert.deepEqual(dockerfile.globalArgs.map((arg) => arg.args), [[{ name: 'BASE', defaultValue: 'busybox' }], [{ name: 'TAG' }]]);
  assert.equal(dockerfile.stages.length, 2);
  assert.equal(dockerfile.stages[0].from.image, '${BASE}:${TAG}');
  assert.equal(dockerfile.stages[0].from.line, 5);
  assert.deepEqual(dockerfile.stages[0].instructions.map((instruction) => [instruction.keyword, instruction.line, instruction.endLine]), [['RUN', 6, 7]]);
  assert.equal(dockerfile.stages[0].instructions[0].original, 'RUN echo build   step');
  assert.deepEqual(dockerfile.stages[1].instructions.map((instruction) => [instruction.keyword, instruction.line]), [['COPY', 9], ['CMD', 10]]);
});

test('instruction before FROM is an error', () => {
  assert.throws(() => parseDockerfile('ARG A\nRUN true\nFROM busybox\n'), /^DockerfileSyntaxError: Dockerfile:2: no build stage in current context: RUN must come after a FROM/);
  assert.throws(() => parseDockerfile('# only a comment\n\n'), /^DockerfileSyntaxError: Dockerfile:1: file with no instructions$/);
  assert.throws(() => parseDockerfile('ARG A\n'), /the Dockerfile has no FROM instruction/);
});

test('file name appears in errors', () => {
  assert.throws(() => parseDockerfile('FROM busybox\nRUNN x\n', { fileName: 'build/Dockerfile.dev' }), /^DockerfileSyntaxError: build\/Dockerfile\.dev:2: unknown instruction: RUNN$/);
});

test('error kind maps to invalid argument', () => {
  assert.throws(() => parseDockerfile('FROM busybox\nRUNN x\n'), (error: unknown) => {
    assert.equal((error as { kind?: string }).kind, 'invalid-argument');
    assert.equal((error as { line?: number }).line, 2);
    return true;
  });
});
