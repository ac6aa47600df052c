// Re-indents JSON text without parsing it, as Go's json.Indent does, so
// numbers beyond 2^53 (such as unlimited memory values) print exactly as the
// daemon sent them. Empty objects and arrays stay "{}" and "[]".

export function indentJson(raw: string, indent: string, prefix = ''): string {
  let output = '';
  let depth = 0;
  let inString = false;
  let escaped = false;
  // True right after "{" or "[", so an immediately closing bracket stays on the same line.
  let justOpened = false;
  const newline = () => `\n${prefix}${indent.repeat(depth)}`;

  for (const character of raw) {
    if (inString) {
      output += character;
      if (escaped) escaped = false;
      else if (character === '\\') escaped = true;
      else if (character === '"') inString = false;
      continue;
    }
    if (character === ' ' || character === '\t' || character === '\n' || character === '\r') continue;

    if (justOpened && character !== '}' && character !== ']') {
      depth++;
      output += newline();
    }
    const wasJustOpened = justOpened;
    justOpened = false;

    switch (character) {
      case '"':
        inString = true;
        output += character;
        break;
      case '{':
      case '[':
        output += character;
        justOpened = true;
        break;
      case '}':
      case ']':
        if (!wasJustOpened) {
          depth--;
          output += newline();
        }
        output += character;
        break;
      case ',':
        output += `,${newline()}`;
        break;
      case ':':
        output += ': ';
        break;
      default:
        output += character;
    }
  }
  return output;
}
