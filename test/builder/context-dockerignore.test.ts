import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compilePatterns, isExcluded, keepBuildFiles, mayContainExceptions, parseDockerignore } from '../../src/builder/context/dockerignore';

function excluded(dockerignore: string, file: string): boolean {
  return isExcluded(file, compilePatterns(parseDockerignore(dockerignore)));
}

test('dockerignore parsing cleans patterns', () => {
  const text = '\uFEFF# comment\n  /node_modules/  \n\n!  keep.txt\n./a/../b/*.log\n**\n';
  assert.deepEqual(parseDockerignore(text), ['node_modules', '!keep.txt', 'b/*.log', '**']);
});

test('dockerignore matching cases', () => {
  const cases: [string, string, boolean][] = [
    ['*.md', 'README.md', true],
    ['*.md', 'docs/README.md', false],
    ['**/*.md', 'docs/deep/README.md', true],
    ['**/*.md', 'README.md', true],
    ['docs', 'docs/a/b.txt', true],
    ['docs/**', 'docs/a/b.txt', true],
    ['docs/**', 'docs', false],
    ['a?c', 'abc', true],
    ['a?c', 'a/c', false],
    ['[a-c]x', 'bx', true],
    ['[a-c]x', 'dx', false],
    ['file.txt', 'fileXtxt', false],
    ['dir/*/x', 'dir/sub/x', true],
    ['dir/*/x', 'dir/sub/deeper/x', false],
    ['**/temp', 'a/b/temp/file', true],
    ['\\*star', '*star', true],
    ['\\*star', 'xstar', false],
  ];
  for (const [pattern, file, expected] of cases) {
    assert.equal(excluded(pattern, file), expected, `pattern ${pattern} on ${file}`);
  }
});

test('dockerignore last matching line wins', () => {
  assert.equal(excluded('secret\n!secret/keep.txt', 'secret/keep.txt'), false);
  assert.equal(excluded('secret\n!secret/keep.txt', 'secret/other.txt'), true);
  assert.equal(excluded('!secret/keep.txt\nsecret', 'secret/keep.txt'), true);
  assert.equal(excluded('*.txt\n!important.txt\nimportant.txt', 'important.txt'), true);
  assert.equal(excluded('*.txt\n!important.txt', 'important.txt'), false);
  assert.equal(excluded('*.txt\n!important.txt', 'other.txt'), true);
});

test('dockerignore exception walk decision', () => {
  const patterns = compilePatterns(['secret', '!secret/keep.txt']);
  assert.equal(mayContainExceptions('secret', patterns), true);
  assert.equal(mayContainExceptions('other', patterns), false);
});

test('dockerignore keeps build files', () => {
  assert.deepEqual(keepBuildFiles(['*'], 'Dockerfile'), ['*', '!.dockerignore', '!Dockerfile']);
  assert.deepEqual(keepBuildFiles(['*.log'], 'Dockerfile'), ['*.log']);
});
