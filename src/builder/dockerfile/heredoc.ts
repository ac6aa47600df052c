// Heredoc markers (`<<EOF`, `<<-EOF`, `<<"EOF"`, `3<<EOF`) on the first line of
// RUN, COPY and ADD, found as BuildKit does: the line is split into shell
// words and each word that is exactly a marker starts one heredoc, so
// `cat <<EOF` counts but `cat<<EOF` does not.
import { InstructionProblem } from './problem';
import type { Heredoc } from './types';
import { splitWords } from './words';

const MARKER = /^(\d*)<<(-?)([^<]*)$/;

export type HeredocMarker = Omit<Heredoc, 'content'>;

// Removes quotes and backslash escapes from a delimiter word and reports whether any part was quoted.
function unquoteDelimiter(word: string): { name: string; quoted: boolean } {
  let name = '';
  let quoted = false;

  for (let i = 0; i < word.length; i++) {
    const ch = word[i];

    if (ch === "'" || ch === '"') {
      quoted = true;
      const end = word.indexOf(ch, i + 1);
      if (end < 0) throw new InstructionProblem(`invalid heredoc delimiter ${word}: unmatched ${ch}`);
      name += word.slice(i + 1, end);
      i = end;
      continue;
    }

    if (ch === '\\' && i + 1 < word.length) {
      i++;
      name += word[i];
      continue;
    }
    name += ch;
  }

  return { name, quoted };
}

// Returns a marker when the word is a heredoc marker, otherwise null.
export function parseHeredocMarker(word: string): HeredocMarker | null {
  const match = MARKER.exec(word);
  if (!match || match[3] === '') return null;

  const { name, quoted } = unquoteDelimiter(match[3]);
  if (name === '') return null;

  return {
    name,
    expand: !quoted,
    chomp: match[2] === '-',
    fileDescriptor: match[1] === '' ? 0 : Number(match[1]),
  };
}

// Lists the heredoc markers of a logical line in order. BuildKit splits this
// line with a backslash escape whatever the escape directive sets.
export function findHeredocMarkers(line: string): HeredocMarker[] {
  const markers: HeredocMarker[] = [];
  for (const word of splitWords(line, '\\')) {
    const marker = parseHeredocMarker(word);
    if (marker) markers.push(marker);
  }
  return markers;
}

// Removes leading tabs from every line, as `<<-` specifies.
export function chompHeredocContent(content: string): string {
  return content.replace(/^\t+/gm, '');
}
