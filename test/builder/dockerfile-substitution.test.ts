// Variable substitution in words and in the instructions Docker substitutes in.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { expandHeredocContent, expandInstruction, expandWord, expandWords, parseDockerfile } from '../../src/builder/dockerfile';
import { InstructionProblem } from '../../src/builder/dockerfile/problem';
import type { Instruction } from '../../src/builder/dockerfile/types';

const ENVIRONMENT = new Map([
  ['NAME', 'world'],
  ['EMPTY', ''],
  ['SPACED', 'a  b'],
  ['PATHLIKE', '/usr/local/bin/app.tar.gz'],
]);

test('word substitution table', () => {
  const cases: Array<[string, string]> = [
    ['$NAME', 'world'],
    ['${NAME}', 'world'],
    ['hello-$NAME!', 'hello-world!'],
    ['${NAME}s', 'worlds'],
    ['$UNSET', ''],
    ['${UNSET:-fallback}', 'fallback'],
    ['${EMPTY:-fallback}', 'fallback'],
    ['${NAME:-fallback}', 'world'],
    ['${UNSET-fallback}', 'fallback'],
    ['${EMPTY-fallback}', ''],
    ['${NAME:+alt}', 'alt'],
    ['${EMPTY:+alt}', ''],
    ['${UNSET:+alt}', ''],
    ['${EMPTY+alt}', 'alt'],
    ['${UNSET+alt}', ''],
    ['${UNSET:-$NAME}', 'world'],
    ['${UNSET:-${ALSO:-deep}}', 'deep'],
    ['${UNSET:-"a b"}', 'a b'],
    ['\\$NAME', '$NAME'],
    ['\\${NAME}', '${NAME}'],
    ["'$NAME'", '$NAME'],
    ['"$NAME"', 'world'],
    ['"\\$NAME"', '$NAME'],
    ['"a\\b"', 'a\\b'],
    ['"it\'s"', "it's"],
    ["'say \"hi\"'", 'say "hi"'],
    ['a\\ b', 'a b'],
    ['$', '$'],
    ['a$', 'a$'],
    ['$1', ''],
    ['${PATHLIKE#*/}', 'usr/local/bin/app.tar.gz'],
    ['${PATHLIKE##*/}', 'app.tar.gz'],
    ['${PATHLIKE%.*}', '/usr/local/bin/app.tar'],
    ['${PATHLIKE%%.*}', '/usr/local/bin/app'],
    ['${PATHLIKE#/usr}', '/local/bin/app.tar.gz'],
    ['${PATHLIKE#nomatch}', '/usr/local/bin/app.tar.gz'],
    ['${PATHLIKE%.[gt]z}', '/usr/local/bin/app.tar'],
    ['${PATHLIKE%.[!g]z}', '/usr/local/bin/app.tar.gz'],
    ['${PATHLIKE##*/app?}', 'tar.gz'],
    ['${UNSET#x}', ''],
    ['${NAME:?must be set}', 'world'],
    ['  spaced  out ', '  spaced  out '],
  ];
  for (const [input, expected] of cases) {
    assert.equal(expandWord(input, ENVIRONMENT), expected, input);
  }
});

test('substitution errors', () => {
  const cases: Array<[string, RegExp]> = [
    ['${UNSET:?must be set}', /^UNSET: must be set$/],
    ['${EMPTY:?}', /^EMPTY: is not allowed to be empty$/],
    ['${UNSET?}', /^UNSET: is not allowed to be unset$/],
    ['${NAME', /missing '}'/],
    ['${NAME:-abc', /missing '}'/],
    ['${}', /bad substitution/],
    ['${NAME:=x}', /unsupported modifier \(:=\)/],
    ['${NAME^}', /unsupported modifier \(\^\)/],
    ["'open", /matching single-quote/],
    ['"open', /matching double-quote/],
  ];
  for (const [input, pattern] of cases) {
    assert.throws(() => expandWord(input, ENVIRONMENT), (error: unknown) => error instanceof InstructionProblem && pattern.test(error.message), input);
  }

  // Positive control: `${EMPTY?}` is fine because EMPTY is set.
  assert.equal(expandWord('${EMPTY?}', ENVIRONMENT), '');
});

test('backtick escape in substitution', () => {
  assert.equal(expandWord('`$NAME', ENVIRONMENT, '`'), '$NAME');
  assert.equal(expandWord('C:\\$NAME', ENVIRONMENT, '`'), 'C:\\world');
  assert.equal(expandWord('C:\\$NAME', ENVIRONMENT), 'C:$NAME');
});

test('word splitting', () => {
  assert.deepEqual(expandWords('a $SPACED "c  d" \'e f\' g\\ h', ENVIRONMENT), ['a', 'a', 'b', 'c  d', 'e f', 'g h']);
  assert.deepEqual(expandWords('"$SPACED"', ENVIRONMENT), ['a  b']);
  assert.deepEqual(expandWords('"" x $EMPTY', ENVIRONMENT), ['x']);
  assert.deepEqual(expandWords('   ', ENVIRONMENT), []);
});

test('heredoc content keeps quotes', () => {
  assert.equal(expandHeredocContent('echo "$NAME" \'$NAME\' \\$NAME\n', ENVIRONMENT), 'echo "world" \'$NAME\' $NAME\n');
  assert.equal(expandHeredocContent("don't stop $NAME\n", ENVIRONMENT), "don't stop $NAME\n");
});

function stageInstructions(source: string): Instruction[] {
  return parseDockerfile(source).stages[0].instructions;
}

test('instructions that Docker substitutes', () => {
  const environment = new Map([['V', 'value'], ['DIR', '/srv'], ['PORT', '8080'], ['USERNAME', 'app'], ['STAGE', 'builder']]);
  const source = [
    'FROM busybox',
    'ENV A=$V B="${V} two" C=\'$V\' D=a\\ b E=\\$V',
    'ENV LEGACY $V and more',
    'LABEL "key.$V"="label $V"',
    'ARG X=${V:-none} Y',
    'EXPOSE $PORT ${PORT}/udp',
    'VOLUME ["$DIR/data"]',
    'USER ${USERNAME}:${USERNAME}',
    'WORKDIR $DIR/app',
    'STOPSIGNAL SIG${UNSET:-TERM}',
    'COPY --from=$STAGE --chown=$USERNAME --chmod=755 $DIR/a ${DIR}/b\\ c /dest/$V/',
    'RUN echo $V',
    'CMD ["echo", "$V"]',
    'ENTRYPOINT echo $V',
    'HEALTHCHECK CMD echo $V',
    'SHELL ["/bin/sh", "-c", "$V"]',
    'MAINTAINER $V',
    'ONBUILD RUN echo $V',
  ].join('\n');
  const expanded = stageInstructions(source).map((instruction) => expandInstruction(instruction, environment));
  const [env, legacy, label, arg, expose, volume, user, workdir, stopsignal, copy, ...unchanged] = expanded;

  assert.ok(env.keyword === 'ENV');
  assert.deepEqual(env.pairs, [
    { key: 'A', value: 'value' },
    { key: 'B', value: 'value two' },
    { key: 'C', value: '$V' },
    { key: 'D', value: 'a b' },
    { key: 'E', value: '$V' },
  ]);
  assert.ok(legacy.keyword === 'ENV');
  assert.deepEqual(legacy.pairs, [{ key: 'LEGACY', value: 'value and more' }]);
  assert.ok(label.keyword === 'LABEL');
  assert.deepEqual(label.pairs, [{ key: 'key.value', value: 'label value' }]);
  assert.ok(arg.keyword === 'ARG');
  assert.deepEqual(arg.args, [{ name: 'X', defaultValue: 'value' }, { name: 'Y' }]);
  assert.ok(expose.keyword === 'EXPOSE' && volume.keyword === 'VOLUME');
  assert.deepEqual(expose.values, ['8080', '8080/udp']);
  assert.deepEqual(volume.values, ['/srv/data']);
  assert.equal(user.keyword === 'USER' && user.value, 'app:app');
  assert.equal(workdir.keyword === 'WORKDIR' && workdir.value, '/srv/app');
  assert.equal(stopsignal.keyword === 'STOPSIGNAL' && stopsignal.value, 'SIGTERM');

  assert.ok(copy.keyword === 'COPY');
  assert.deepEqual(copy.flags, [{ name: 'from', value: 'builder' }, { name: 'chown', value: 'app' }, { name: 'chmod', value: '755' }]);
  assert.deepEqual(copy.sources, [{ path: '/srv/a' }, { path: '/srv/b' }, { path: 'c' }]);
  assert.equal(copy.destination, '/dest/value/');

  // RUN, CMD, ENTRYPOINT, HEALTHCHECK, SHELL, MAINTAINER and ONBUILD are left for the shell or a later build.
  const originals = stageInstructions(source).slice(10);
  assert.equal(unchanged.length, 7);
  unchanged.forEach((instruction, index) => assert.deepEqual(instruction, originals[index], instruction.keyword));
  assert.equal(unchanged[0].keyword === 'RUN' && unchanged[0].command.form === 'shell' && unchanged[0].command.text, 'echo $V');
});

test('COPY shell form splits quoted paths', () => {
  // Docker splits shell-form COPY on whitespace before removing quotes, so a quoted path with a space fails there too.
  const copy = stageInstructions('FROM busybox\nCOPY "a b" /dest/\n')[0];
  assert.throws(() => expandInstruction(copy, new Map()), /Dockerfile:2: COPY: unexpected end of statement while looking for matching double-quote/);

  // Positive control: the JSON form keeps the space.
  const json = expandInstruction(stageInstructions('FROM busybox\nCOPY ["a b", "/dest/"]\n')[0], new Map());
  assert.ok(json.keyword === 'COPY');
  assert.deepEqual(json.sources, [{ path: 'a b' }]);
});

test('ENV sees values from before its line', () => {
  const [first, second] = stageInstructions('FROM busybox\nENV A=new B=$A\nENV C=$A\n');
  const before = new Map([['A', 'old']]);
  const expandedFirst = expandInstruction(first, before);
  assert.ok(expandedFirst.keyword === 'ENV');
  assert.deepEqual(expandedFirst.pairs, [{ key: 'A', value: 'new' }, { key: 'B', value: 'old' }]);

  const after = new Map([['A', 'new']]);
  const expandedSecond = expandInstruction(second, after);
  assert.ok(expandedSecond.keyword === 'ENV');
  assert.deepEqual(expandedSecond.pairs, [{ key: 'C', value: 'new' }]);
});

test('FROM substitutes global args', () => {
  const dockerfile = parseDockerfile('ARG TAG=1.36\nFROM --platform=$PLATFORM busybox:${TAG} AS base\n');
  const from = expandInstruction(dockerfile.stages[0].from, new Map([['TAG', '1.36'], ['PLATFORM', 'linux/arm64']]));
  assert.ok(from.keyword === 'FROM');
  assert.equal(from.image, 'busybox:1.36');
  assert.deepEqual(from.flags, [{ name: 'platform', value: 'linux/arm64' }]);
  assert.equal(from.stageName, 'base');
});

test('COPY heredoc expansion follows the delimiter', () => {
  const source = ['FROM busybox', 'COPY <<EOF <<"RAW" /dest/', 'name=$NAME "quoted"', 'EOF', 'name=$NAME', 'RAW'].join('\n');
  const copy = expandInstruction(stageInstructions(source)[0], ENVIRONMENT);
  assert.ok(copy.keyword === 'COPY');
  assert.equal(copy.sources[0].heredoc?.content, 'name=world "quoted"\n');
  assert.equal(copy.sources[1].heredoc?.content, 'name=$NAME\n');
});

test('parser leaves RUN heredoc unexpanded', () => {
  const run = stageInstructions('FROM busybox\nRUN <<EOF\necho $NAME\nEOF\n')[0];
  assert.deepEqual(expandInstruction(run, ENVIRONMENT), run);
  assert.equal(run.heredocs[0].content, 'echo $NAME\n');
  assert.equal(run.heredocs[0].expand, true);
});

test('ENV with escape directive backtick', () => {
  const dockerfile = parseDockerfile('# escape=`\nFROM busybox\nENV P=C:\\Program` Files Q="a`"b"\n');
  const env = expandInstruction(dockerfile.stages[0].instructions[0], new Map(), { escape: dockerfile.directives.escape });
  assert.ok(env.keyword === 'ENV');
  assert.deepEqual(env.pairs, [{ key: 'P', value: 'C:\\Program Files' }, { key: 'Q', value: 'a"b' }]);
});

test('substitution error names the line', () => {
  const workdir = stageInstructions('FROM busybox\n\nWORKDIR ${DIR:?set DIR}\n')[0];
  assert.throws(() => expandInstruction(workdir, new Map(), { fileName: 'Dockerfile.prod' }), /^DockerfileSyntaxError: Dockerfile\.prod:3: WORKDIR: DIR: set DIR$/);
  assert.equal(expandInstruction(workdir, new Map([['DIR', '/x']])).keyword === 'WORKDIR', true);
});
