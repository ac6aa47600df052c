// Directives, comments, line continuations and heredocs of the Dockerfile parser.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseDockerfile } from '../../src/builder/dockerfile';
import { DockerfileSyntaxError } from '../../src/builder/dockerfile/problem';
import type { CommandInstruction, CopyInstruction, Instruction } from '../../src/builder/dockerfile/types';

function lines(...text: string[]): string {
  return `${text.join('\n')}\n`;
}

// Returns the instructions of the only stage.
function body(source: string): Instruction[] {
  const dockerfile = parseDockerfile(source);
  assert.equal(dockerfile.stages.length, 1);
  return dockerfile.stages[0].instructions;
}

function shellText(instruction: Instruction): string {
  assert.ok(instruction.keyword === 'RUN' || instruction.keyword === 'CMD' || instruction.keyword === 'ENTRYPOINT');
  const command = (instruction as CommandInstruction).command;
  assert.equal(command.form, 'shell');
  return command.form === 'shell' ? command.text : '';
}

test('directives are recorded at the top', () => {
  const dockerfile = parseDockerfile(lines('# syntax=docker/dockerfile:1.7', '#escape=`', '# check=skip=all', 'FROM busybox'));
  assert.equal(dockerfile.directives.syntax, 'docker/dockerfile:1.7');
  assert.equal(dockerfile.directives.escape, '`');
  assert.equal(dockerfile.directives.check, 'skip=all');
  assert.deepEqual(dockerfile.directives.list.map((directive) => [directive.name, directive.line]), [['syntax', 1], ['escape', 2], ['check', 3]]);
});

test('directives end at the first other line', () => {
  const cases: Array<[string, string]> = [
    ['blank line', lines('', '# escape=`', 'FROM busybox')],
    ['plain comment', lines('# a comment', '# escape=`', 'FROM busybox')],
    ['unknown directive', lines('# unknown=1', '# escape=`', 'FROM busybox')],
    ['after instruction', lines('FROM busybox', '# escape=`')],
  ];
  for (const [name, source] of cases) {
    assert.equal(parseDockerfile(source).directives.escape, '\\', name);
  }

  // Positive control: the same directive on the first line takes effect.
  assert.equal(parseDockerfile(lines('# escape=`', 'FROM busybox')).directives.escape, '`');
});

test('directive names ignore case and spaces', () => {
  assert.equal(parseDockerfile(lines('#  ESCAPE =  ` ', 'FROM busybox')).directives.escape, '`');
});

test('bad directives are rejected', () => {
  assert.throws(() => parseDockerfile(lines('# escape=x', 'FROM busybox')), /^DockerfileSyntaxError: Dockerfile:1: invalid escape character 'x'/);
  assert.throws(() => parseDockerfile(lines('# escape=`', '# escape=\\', 'FROM busybox')), /Dockerfile:2: only one escape parser directive can be used/);
});

test('byte order mark is ignored', () => {
  assert.equal(parseDockerfile('\uFEFF# escape=`\nFROM busybox\n').directives.escape, '`');
});

test('comments and blank lines are skipped', () => {
  const instructions = body(lines('FROM busybox', '', '# comment', '   # indented comment', 'RUN echo hi # not a comment'));
  assert.equal(instructions.length, 1);
  assert.equal(shellText(instructions[0]), 'echo hi # not a comment');
  assert.equal(instructions[0].line, 5);
});

test('line continuations join lines', () => {
  const instructions = body(lines('FROM busybox', 'RUN echo a \\', '    b \\  ', '  c', 'USER root'));
  assert.equal(shellText(instructions[0]), 'echo a     b   c');
  assert.equal(instructions[0].line, 2);
  assert.equal(instructions[0].endLine, 4);
  assert.equal(instructions[1].line, 5);
});

test('continuation skips comment lines', () => {
  const instructions = body(lines('FROM busybox', 'RUN apt-get install \\', '# the next package is optional', '  curl \\', '  # indented comment', '  wget'));
  assert.equal(shellText(instructions[0]), 'apt-get install   curl   wget');
  assert.equal(instructions[0].endLine, 6);
});

test('continuation ending in a comment line', () => {
  const instructions = body(lines('FROM busybox', 'RUN echo a \\', '# last line is a comment', 'USER root'));
  assert.equal(shellText(instructions[0]), 'echo a USER root');
  assert.equal(instructions.length, 1);
});

test('empty continuation line gives a warning', () => {
  const dockerfile = parseDockerfile(lines('FROM busybox', 'RUN echo a \\', '', '  b'));
  assert.equal(shellText(dockerfile.stages[0].instructions[0]), 'echo a   b');
  assert.equal(dockerfile.warnings.length, 1);
  assert.match(dockerfile.warnings[0], /^Dockerfile:2: empty continuation line/);

  // Positive control: without the empty line there is no warning.
  assert.deepEqual(parseDockerfile(lines('FROM busybox', 'RUN echo a \\', '  b')).warnings, []);
});

test('escaped escape character does not continue', () => {
  const instructions = body(lines('FROM busybox', 'RUN echo a\\\\', 'USER root'));
  assert.equal(shellText(instructions[0]), 'echo a\\\\');
  assert.equal(instructions.length, 2);

  // Positive control: a single trailing backslash, also on a line of its own, continues the line.
  const joined = body(lines('FROM busybox', 'RUN echo a \\', '\\', '  b'));
  assert.equal(shellText(joined[0]), 'echo a   b');
});

test('continuation at end of file', () => {
  assert.equal(shellText(body('FROM busybox\nRUN echo a \\')[0]), 'echo a');
});

test('backtick escape for Windows paths', () => {
  const source = lines('# escape=`', 'FROM mcr.microsoft.com/windows/servercore', 'COPY testfile.txt c:\\', 'RUN dir c:\\ `', '    && echo done', 'WORKDIR c:\\app');
  const instructions = body(source);
  const copy = instructions[0] as CopyInstruction;
  assert.equal(copy.destination, 'c:\\');
  assert.equal(shellText(instructions[1]), 'dir c:\\     && echo done');
  assert.equal(instructions[2].keyword === 'WORKDIR' && instructions[2].value, 'c:\\app');

  // Positive control: with the default escape, `c:\` at the end of a line continues it.
  const defaultEscape = body(lines('FROM busybox', 'RUN dir c:\\', 'USER root'));
  assert.equal(shellText(defaultEscape[0]), 'dir c:USER root');
});

test('CRLF line endings', () => {
  const instructions = body('FROM busybox\r\nRUN echo a \\\r\n  b\r\nUSER root\r\n');
  assert.equal(shellText(instructions[0]), 'echo a   b');
  assert.equal(instructions[1].keyword === 'USER' && instructions[1].value, 'root');
});

test('heredoc body is read after the line', () => {
  const instructions = body(lines('FROM busybox', 'RUN <<EOF', 'echo "$HOME"', '  indented', 'EOF', 'USER root'));
  const run = instructions[0];
  assert.equal(run.heredocs.length, 1);
  assert.deepEqual(run.heredocs[0], { name: 'EOF', content: 'echo "$HOME"\n  indented\n', expand: true, chomp: false, fileDescriptor: 0 });
  assert.equal(run.line, 2);
  assert.equal(run.endLine, 5);
  assert.equal(instructions[1].line, 6);
});

test('heredoc with dash strips tabs', () => {
  const run = body(lines('FROM busybox', 'RUN <<-EOT', '\techo a', '\t\techo b', '  echo c', '\tEOT'))[0];
  assert.equal(run.heredocs[0].content, 'echo a\necho b\n  echo c\n');
  assert.equal(run.heredocs[0].chomp, true);

  // Positive control: without the dash the tabs stay and a tab-indented terminator does not end the body.
  assert.throws(() => body(lines('FROM busybox', 'RUN <<EOT', '\techo a', '\tEOT')), /Dockerfile:2: unterminated heredoc EOT/);
});

test('quoted heredoc delimiters disable expansion', () => {
  const cases: Array<[string, string, boolean]> = [
    ['<<EOF', 'EOF', true],
    ['<<"EOF"', 'EOF', false],
    ["<<'EOF'", 'EOF', false],
    ['<<-"EOF"', 'EOF', false],
    ['<<E"O"F', 'EOF', false],
    ['<<file.txt', 'file.txt', true],
  ];
  for (const [marker, name, expand] of cases) {
    const run = body(lines('FROM busybox', `RUN cat ${marker}`, 'x', name))[0];
    assert.equal(run.heredocs.length, 1, marker);
    assert.equal(run.heredocs[0].name, name, marker);
    assert.equal(run.heredocs[0].expand, expand, marker);
  }
});

test('several heredocs on one line', () => {
  const run = body(lines('FROM busybox', 'RUN cat <<A 3<<B > /out', 'first', 'A', 'second', 'B', 'USER root'))[0];
  assert.deepEqual(run.heredocs.map((heredoc) => [heredoc.name, heredoc.content, heredoc.fileDescriptor]), [['A', 'first\n', 0], ['B', 'second\n', 3]]);
  assert.equal(shellText(run), 'cat <<A 3<<B > /out');
  assert.equal(run.endLine, 6);
});

test('COPY heredoc becomes a source', () => {
  const copy = body(lines('FROM busybox', 'COPY --chmod=755 <<EOF a.txt <<-"run.sh" /dest/', 'hello', 'EOF', '\t#!/bin/sh', 'run.sh'))[0] as CopyInstruction;
  assert.equal(copy.keyword, 'COPY');
  assert.equal(copy.destination, '/dest/');
  assert.deepEqual(copy.sources.map((source) => source.path), ['EOF', 'a.txt', 'run.sh']);
  assert.equal(copy.sources[0].heredoc?.content, 'hello\n');
  assert.equal(copy.sources[1].heredoc, undefined);
  assert.equal(copy.sources[2].heredoc?.content, '#!/bin/sh\n');
  assert.equal(copy.sources[2].heredoc?.expand, false);
});

test('heredoc lines keep comments and backslashes', () => {
  const run = body(lines('FROM busybox', 'RUN <<EOF', '# not a Dockerfile comment', 'echo a \\', '', 'EOF'))[0];
  assert.equal(run.heredocs[0].content, '# not a Dockerfile comment\necho a \\\n\n');
});

test('exec form has no heredocs', () => {
  const instructions = body(lines('FROM busybox', 'RUN ["cat", "<<EOF"]', 'RUN [ "<<EOF" ]', 'RUN echo "<<EOF"', "RUN echo '<<EOF'", 'USER root'));
  assert.equal(instructions.length, 5);
  for (const instruction of instructions) assert.deepEqual(instruction.heredocs, [], instruction.original);
});

test('heredoc body keeps carriage returns', () => {
  const run = body('FROM busybox\r\nRUN <<EOF\r\necho a\r\nEOF\r\nUSER root\r\n')[0];
  assert.equal(run.heredocs[0].content, 'echo a\r\n');
});

test('bad heredoc delimiter is an error', () => {
  assert.throws(() => body(lines('FROM busybox', "RUN <<'EOF", 'x', 'EOF')), /Dockerfile:2: invalid heredoc delimiter 'EOF: unmatched '/);
  assert.throws(() => body(lines('FROM busybox', 'RUN <<EOF"', 'x', 'EOF')), /Dockerfile:2: invalid heredoc delimiter EOF": unmatched "/);
});

test('heredocs only on RUN, COPY and ADD', () => {
  const instructions = body(lines('FROM busybox', 'ENV A=<<EOF', 'CMD cat <<EOF'));
  assert.equal(instructions.length, 2);
  assert.deepEqual(instructions[0].heredocs, []);
  assert.deepEqual(instructions[1].heredocs, []);
  assert.equal(shellText(instructions[1]), 'cat <<EOF');
});

test('heredoc marker must be its own word', () => {
  const instructions = body(lines('FROM busybox', 'RUN cat<<EOF', 'USER root'));
  assert.equal(instructions.length, 2);
  assert.deepEqual(instructions[0].heredocs, []);
});

test('ONBUILD RUN heredoc', () => {
  const onbuild = body(lines('FROM busybox', 'ONBUILD RUN <<EOF', 'echo built', 'EOF'))[0];
  assert.equal(onbuild.keyword, 'ONBUILD');
  assert.equal(onbuild.keyword === 'ONBUILD' && onbuild.trigger.heredocs[0].content, 'echo built\n');
});

test('unterminated heredoc is an error', () => {
  const error = assert.throws(() => parseDockerfile(lines('FROM busybox', 'USER root', 'RUN <<EOF', 'echo a')), (thrown: unknown) => {
    assert.ok(thrown instanceof DockerfileSyntaxError);
    assert.equal(thrown.line, 3);
    assert.equal(thrown.kind, 'invalid-argument');
    assert.match(thrown.message, /^Dockerfile:3: unterminated heredoc EOF/);
    return true;
  });
  assert.equal(error, undefined);
});
