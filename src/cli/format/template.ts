// Public entry point for Go templates: parse once, execute per object.
import { TemplateExecutor, type ExecutionOptions, type TemplateFunction } from './template-exec';
import { headerTemplateFunctions, TEMPLATE_FUNCTION_NAMES, templateFunctions } from './template-functions';
import { parseTemplateText, type TemplateNode } from './template-parser';

export { TemplateExecutionError } from './template-exec';
export { TemplateSyntaxError } from './template-lexer';

export class GoTemplate {
  private readonly executor: TemplateExecutor;

  constructor(
    readonly text: string,
    private readonly nodes: TemplateNode[],
    options: ExecutionOptions,
  ) {
    this.executor = new TemplateExecutor(text, options);
  }

  execute(data: unknown): string {
    return this.executor.execute(this.nodes, data);
  }
}

export interface TemplateOptions {
  missingKey?: 'default' | 'error';
  // Renders table headers: docker's functions return their argument unchanged.
  header?: boolean;
  functions?: Record<string, TemplateFunction>;
}

// Parses a template. Throws TemplateSyntaxError with Go's message for invalid syntax.
export function parseGoTemplate(text: string, options: TemplateOptions = {}): GoTemplate {
  const functions = { ...(options.header ? headerTemplateFunctions() : templateFunctions()), ...(options.functions ?? {}) };
  const names = new Set([...TEMPLATE_FUNCTION_NAMES, ...Object.keys(options.functions ?? {})]);
  const nodes = parseTemplateText(text, names);
  return new GoTemplate(text, nodes, { functions, missingKey: options.missingKey ?? 'default' });
}
