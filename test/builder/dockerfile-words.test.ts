// Word splitting before substitution, and extraction of instruction flags.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { extractFlags, splitOnWhitespace, splitWords } from '../../src/builder/dockerfile/words';

test('splitWords keeps quotes and escapes', () => {
  const cases: Array<[string, string, string[]]> = [
    ['a b  c', '\\', ['a', 'b', 'c']],
    ['A="x y" B=z', '\\', ['A="x y"', 'B=z']],
    ["A='x \\' y'", '\\', ["A='x \\'", 'y\'']],
    ['A="x \\" y"', '\\', ['A="x \\" y"']],
    ['A=x\\ y', '\\', ['A=x\\ y']],
    ['A=x` y', '`', ['A=x` y']],
    ['A=x\\ y', '`', ['A=x\\', 'y']],
    ['trailing\\', '\\', ['trailing']],
    ['""', '\\', ['""']],
    ['   ', '\\', []],
  ];
  for (const [input, escape, expected] of cases) {
    assert.deepEqual(splitWords(input, escape), expected, input);
  }
});

test('splitOnWhitespace ignores quotes', () => {
  assert.deepEqual(splitOnWhitespace('  "a b"\tc  '), ['"a', 'b"', 'c']);
  assert.deepEqual(splitOnWhitespace(''), []);
});

test('extractFlags table', () => {
  const cases: Array<[string, string[], string]> = [
    [' --from=build --link a b', ['--from=build', '--link'], 'a b'],
    ['--mount="type=cache,target=/a b" echo', ['--mount=type=cache,target=/a b'], 'echo'],
    ["--chown='app user' src dst", ['--chown=app user'], 'src dst'],
    ['--chown=a\\ b src', ['--chown=a b'], 'src'],
    ['--network=none -- --version', ['--network=none'], '--version'],
    ['-x --y', [], '-x --y'],
    ['echo --not-a-flag', [], 'echo --not-a-flag'],
    ['--only', ['--only'], ''],
    ['', [], ''],
  ];
  for (const [input, flags, rest] of cases) {
    assert.deepEqual(extractFlags(input), { flags, rest }, input);
  }
});
