// Column alignment as Go's text/tabwriter does it, with the settings docker
// uses for tables (minimum width 10, padding 3, space as the pad character).
// Cells end with a tab. The last cell of a line is not aligned. A column is
// aligned across a block of consecutive lines that all have a cell in it.

export interface TabwriterOptions {
  minWidth: number;
  padding: number;
}

export const DOCKER_TABLE: TabwriterOptions = { minWidth: 10, padding: 3 };

interface Cell {
  text: string;
  // Width in runes (Unicode code points), as Go's tabwriter counts.
  width: number;
}

function splitLines(text: string): Cell[][] {
  const lines = text.split('\n');
  return lines.map((line) => line.split('\t').map((cell) => ({ text: cell, width: [...cell].length })));
}

// Aligns tab-separated text. A trailing newline in the input is kept.
export function alignColumns(text: string, options: TabwriterOptions = DOCKER_TABLE): string {
  const endsWithNewline = text.endsWith('\n');
  const lines = splitLines(endsWithNewline ? text.slice(0, -1) : text);
  const output: string[] = [];
  const widths: number[] = [];

  const writeLines = (from: number, to: number): void => {
    for (let index = from; index < to; index++) {
      const line = lines[index];
      let rendered = '';
      line.forEach((cell, column) => {
        rendered += cell.text;
        if (column < widths.length && column < line.length - 1) rendered += ' '.repeat(Math.max(0, widths[column] - cell.width));
      });
      output.push(rendered);
    }
  };

  // Mirrors tabwriter's recursive format(): find each block of lines that has
  // a cell in the current column, size the column, then format the next column.
  const format = (first: number, last: number): void => {
    const column = widths.length;
    let start = first;
    for (let index = first; index < last; index++) {
      if (column >= lines[index].length - 1) continue;

      writeLines(start, index);
      start = index;

      let width = options.minWidth;
      for (; index < last; index++) {
        const line = lines[index];
        if (column >= line.length - 1) break;
        width = Math.max(width, line[column].width + options.padding);
      }

      widths.push(width);
      format(start, index);
      widths.pop();
      start = index;
      // The outer loop increments index. Step back so the line that ended the block is examined again.
      index--;
    }
    writeLines(start, last);
  };

  format(0, lines.length);
  return output.join('\n') + (endsWithNewline ? '\n' : '');
}
