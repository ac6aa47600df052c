// Renders lists (ps, images, volume ls) the way docker's --format works:
// "table TEMPLATE" aligns columns under a header row, "json" prints one JSON
// object per line, and any other text is a Go template executed per row.
import { alignColumns } from './tabwriter';
import { parseGoTemplate, TemplateExecutionError, TemplateSyntaxError } from './template';
import type { DynamicFields } from './template-exec';

export const TABLE_PREFIX = 'table';
export const JSON_FORMAT = 'json';

export class FormatError extends Error {}

// The header row's data: each field returns its column title, and Label "a.b-c" returns "b c" as docker does.
export class HeaderRow implements DynamicFields {
  constructor(private readonly titles: Record<string, string>) {}

  templateField(name: string, args: unknown[]): unknown {
    if (name === 'Label' && typeof args[0] === 'string') {
      const parts = args[0].split('.');
      return parts[parts.length - 1].replace(/[-_]/g, ' ');
    }
    return Object.prototype.hasOwnProperty.call(this.titles, name) ? this.titles[name] : undefined;
  }
}

// Turns a user's format into template text: strips "table", maps "json" to
// {{json .}}, trims spaces and turns the two-character sequences \t and \n into
// a tab and a newline.
export function templateTextOf(format: string): { text: string; isTable: boolean } {
  const isTable = format.startsWith(TABLE_PREFIX);
  let text = format;
  if (isTable) text = format.slice(TABLE_PREFIX.length);
  else if (format === JSON_FORMAT) text = '{{json .}}';
  text = text.replace(/^ +| +$/g, '').replace(/\\t/g, '\t').replace(/\\n/g, '\n');
  return { text, isTable };
}

export interface ListFormat {
  // The user's --format value, where "" or "table" selects the default table.
  format: string;
  defaultTable: string;
  // Format for -q. Docker ignores -q when a custom --format is given.
  quietFormat: string;
  quiet: boolean;
  headers: Record<string, string>;
  // docker ps first runs the raw format (before "table" and \t are processed)
  // on a row, so its errors read "failed to parse/execute template" with
  // positions in the raw text. Other lists report "template parsing error".
  validateRawFormat?: boolean;
}

// Picks the effective format string as docker's New*Format functions do.
export function effectiveFormat(options: ListFormat): string {
  if (options.format === '' || options.format === TABLE_PREFIX) return options.quiet ? options.quietFormat : options.defaultTable;
  return options.format;
}

function compile(text: string, header: boolean) {
  try {
    return parseGoTemplate(text, { header });
  } catch (error) {
    if (error instanceof TemplateSyntaxError) throw new FormatError(`template parsing error: ${error.message}`);
    throw error;
  }
}

// Renders rows with a format. Throws FormatError with docker's message when the template is invalid or fails.
export function renderList(options: ListFormat, rows: object[]): string {
  const format = effectiveFormat(options);
  if (options.validateRawFormat) validateRaw(format, rows[0]);
  const { text, isTable } = templateTextOf(format);
  const template = compile(text, false);

  let body = '';
  for (const row of rows) {
    try {
      body += `${template.execute(row)}\n`;
    } catch (error) {
      if (error instanceof TemplateExecutionError) throw new FormatError(`template parsing error: ${error.message}`);
      throw error;
    }
  }
  if (!isTable) return body;

  let header = '';
  try {
    header = compile(text, true).execute(new HeaderRow(options.headers));
  } catch (error) {
    // docker writes whatever part of the header rendered. An unrenderable header is left empty here.
    if (!(error instanceof TemplateExecutionError)) throw error;
  }
  return alignColumns(`${header}\n${body}`);
}

function validateRaw(format: string, sample: object | undefined): void {
  let template;
  try {
    template = parseGoTemplate(format);
  } catch (error) {
    if (error instanceof TemplateSyntaxError) throw new FormatError(`failed to parse template: ${error.message}`);
    throw error;
  }
  if (sample === undefined) return;
  try {
    template.execute(sample);
  } catch (error) {
    if (error instanceof TemplateExecutionError) throw new FormatError(`failed to execute template: ${error.message}`);
    throw error;
  }
}

// Executes a template once per object, as inspect -f does: unknown map keys are errors.
export function renderEach(format: string, objects: unknown[]): string {
  const { text } = templateTextOf(format);
  let template;
  try {
    template = parseGoTemplate(text, { missingKey: 'error' });
  } catch (error) {
    if (error instanceof TemplateSyntaxError) throw new FormatError(`template parsing error: ${error.message}`);
    throw error;
  }
  let output = '';
  for (const object of objects) {
    try {
      output += `${template.execute(object)}\n`;
    } catch (error) {
      if (error instanceof TemplateExecutionError) throw new FormatError(`template parsing error: ${error.message}`);
      throw error;
    }
  }
  return output;
}
