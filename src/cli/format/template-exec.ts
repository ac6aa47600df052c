// Evaluates a parsed Go template against JavaScript data. Plain objects act
// as Go maps (field access is a key lookup), arrays as slices, and class
// instances as Go structs: a property is a field and a method is called with
// the template's arguments, as docker's format contexts work.
import { formatGoValue, isPlainMap } from './go-format';
import type { Command, ControlNode, Operand, Pipeline, TemplateNode } from './template-parser';

export type TemplateFunction = (...args: unknown[]) => unknown;

export interface ExecutionOptions {
  functions: Record<string, TemplateFunction>;
  // 'error' fails on a map key that does not exist (docker inspect -f), and 'default' prints "<no value>".
  missingKey: 'default' | 'error';
}

// Struct-like objects may name their Go type for error messages.
export interface TemplateStruct {
  templateTypeName?: string;
}

// Objects that resolve fields themselves, such as the header row of a table,
// which returns its column title for any field.
export interface DynamicFields {
  templateField(name: string, args: unknown[]): unknown;
}

function hasDynamicFields(value: unknown): value is DynamicFields {
  return typeof value === 'object' && value !== null && typeof (value as Partial<DynamicFields>).templateField === 'function';
}

export class TemplateExecutionError extends Error {}

class BreakSignal {}
class ContinueSignal {}

interface Variable {
  name: string;
  value: unknown;
}

// Go's truth rules for if, with, and, or, not.
export function isTruthy(value: unknown): boolean {
  if (value === undefined || value === null) return false;
  if (typeof value === 'boolean') return value;
  if (typeof value === 'number') return value !== 0;
  if (typeof value === 'string') return value.length > 0;
  if (Array.isArray(value)) return value.length > 0;
  if (isPlainMap(value)) return Object.keys(value).length > 0;
  return true;
}

function typeName(value: unknown): string {
  if (value === null || value === undefined) return 'interface {}';
  if (typeof value === 'string') return 'string';
  if (typeof value === 'number') return Number.isInteger(value) ? 'int' : 'float64';
  if (typeof value === 'boolean') return 'bool';
  if (Array.isArray(value)) return '[]interface {}';
  if (isPlainMap(value)) return 'map[string]interface {}';
  return (value as TemplateStruct).templateTypeName ?? 'struct';
}

function operandSource(operand: Operand): string {
  switch (operand.type) {
    case 'field':
      return `.${operand.names.join('.')}`;
    case 'variable':
      return [operand.name, ...operand.names].join('.');
    case 'chain':
      return `(${operandSource(operand.operand)}).${operand.names.join('.')}`;
    case 'pipe':
      return '(...)';
    case 'identifier':
      return operand.name;
    case 'dot':
      return '.';
    case 'string':
      return JSON.stringify(operand.value);
    case 'number':
    case 'bool':
      return String(operand.value);
    case 'nil':
      return 'nil';
  }
}

export class TemplateExecutor {
  private readonly output: string[] = [];
  private readonly variables: Variable[] = [];

  constructor(
    private readonly text: string,
    private readonly options: ExecutionOptions,
  ) {}

  execute(nodes: TemplateNode[], data: unknown): string {
    this.variables.length = 0;
    this.variables.push({ name: '$', value: data });
    this.output.length = 0;
    this.walkList(nodes, data);
    return this.output.join('');
  }

  private fail(position: number, source: string, message: string): never {
    const before = this.text.slice(0, position);
    const line = before.split('\n').length;
    const column = position - (before.lastIndexOf('\n') + 1);
    throw new TemplateExecutionError(`template: :${line}:${column}: executing "" at <${source}>: ${message}`);
  }

  private walkList(nodes: TemplateNode[], dot: unknown): void {
    for (const node of nodes) this.walk(node, dot);
  }

  private walk(node: TemplateNode, dot: unknown): void {
    switch (node.type) {
      case 'text':
        this.output.push(node.text);
        return;
      case 'action': {
        const value = this.evalPipeline(dot, node.pipeline);
        // An action that only declares or assigns a variable prints nothing. A
        // missing or null value prints "<no value>", as Go prints a nil map entry.
        if (node.pipeline.declarations.length === 0) this.output.push(value === undefined || value === null ? '<no value>' : formatGoValue(value));
        return;
      }
      case 'if':
      case 'with': {
        const mark = this.variables.length;
        const value = this.evalPipeline(dot, node.pipeline);
        if (isTruthy(value)) this.walkList(node.list, node.type === 'with' ? value : dot);
        else if (node.elseList) this.walkList(node.elseList, dot);
        this.variables.length = mark;
        return;
      }
      case 'range':
        this.walkRange(node, dot);
        return;
      case 'break':
        throw new BreakSignal();
      case 'continue':
        throw new ContinueSignal();
    }
  }

  private walkRange(node: ControlNode, dot: unknown): void {
    const mark = this.variables.length;
    const collection = this.evalPipeline(dot, { ...node.pipeline, declarations: [] });
    const entries: Array<[unknown, unknown]> = [];
    if (Array.isArray(collection)) collection.forEach((element, index) => entries.push([index, element]));
    else if (isPlainMap(collection)) for (const key of Object.keys(collection).sort()) entries.push([key, collection[key]]);
    else if (typeof collection === 'number' && Number.isInteger(collection)) for (let i = 0; i < collection; i++) entries.push([i, i]);
    else if (collection !== null && collection !== undefined) {
      this.fail(node.pipeline.position, 'range', `range can't iterate over ${formatGoValue(collection)}`);
    }

    if (entries.length === 0) {
      if (node.elseList) this.walkList(node.elseList, dot);
      this.variables.length = mark;
      return;
    }

    const declarations = node.pipeline.declarations;
    for (const [key, element] of entries) {
      const iterationMark = this.variables.length;
      if (declarations.length === 1) this.setVariable(declarations[0], element, node.pipeline.isAssign);
      if (declarations.length === 2) {
        this.setVariable(declarations[0], key, node.pipeline.isAssign);
        this.setVariable(declarations[1], element, node.pipeline.isAssign);
      }
      try {
        this.walkList(node.list, element);
      } catch (signal) {
        if (signal instanceof BreakSignal) {
          this.variables.length = iterationMark;
          break;
        }
        if (!(signal instanceof ContinueSignal)) throw signal;
      }
      this.variables.length = iterationMark;
    }
    this.variables.length = mark;
  }

  private setVariable(name: string, value: unknown, isAssign: boolean): void {
    if (!isAssign) {
      this.variables.push({ name, value });
      return;
    }
    for (let i = this.variables.length - 1; i >= 0; i--) {
      if (this.variables[i].name === name) {
        this.variables[i].value = value;
        return;
      }
    }
    throw new TemplateExecutionError(`template: undefined variable: ${name}`);
  }

  private lookupVariable(name: string, position: number): unknown {
    for (let i = this.variables.length - 1; i >= 0; i--) {
      if (this.variables[i].name === name) return this.variables[i].value;
    }
    this.fail(position, name, `undefined variable: ${name}`);
  }

  private evalPipeline(dot: unknown, pipeline: Pipeline): unknown {
    let value: unknown = undefined;
    let hasValue = false;
    for (const command of pipeline.commands) {
      value = this.evalCommand(dot, command, hasValue, value);
      hasValue = true;
    }
    for (const name of pipeline.declarations) this.setVariable(name, value, pipeline.isAssign);
    return value;
  }

  private evalCommand(dot: unknown, command: Command, hasFinal: boolean, final: unknown): unknown {
    const [first, ...rest] = command.operands;
    switch (first.type) {
      case 'field':
        return this.evalFields(dot, dot, first.names, rest, hasFinal, final, first);
      case 'variable': {
        const value = this.lookupVariable(first.name, first.position);
        if (first.names.length === 0) return this.noArguments(value, rest, hasFinal, first);
        return this.evalFields(dot, value, first.names, rest, hasFinal, final, first);
      }
      case 'chain': {
        const value = this.evalOperand(dot, first.operand);
        return this.evalFields(dot, value, first.names, rest, hasFinal, final, first);
      }
      case 'identifier':
        return this.callFunction(dot, first.name, rest, hasFinal, final, first);
      default:
        return this.noArguments(this.evalOperand(dot, first), rest, hasFinal, first);
    }
  }

  private noArguments(value: unknown, rest: Operand[], hasFinal: boolean, operand: Operand): unknown {
    if (rest.length > 0 || hasFinal) this.fail(operand.position, operandSource(operand), `can't give argument to non-function ${operandSource(operand)}`);
    return value;
  }

  private evalOperand(dot: unknown, operand: Operand): unknown {
    switch (operand.type) {
      case 'dot':
        return dot;
      case 'string':
      case 'number':
      case 'bool':
        return operand.value;
      case 'nil':
        return null;
      case 'field':
        return this.evalFields(dot, dot, operand.names, [], false, undefined, operand);
      case 'variable': {
        const value = this.lookupVariable(operand.name, operand.position);
        return operand.names.length === 0 ? value : this.evalFields(dot, value, operand.names, [], false, undefined, operand);
      }
      case 'chain':
        return this.evalFields(dot, this.evalOperand(dot, operand.operand), operand.names, [], false, undefined, operand);
      case 'pipe': {
        const mark = this.variables.length;
        const value = this.evalPipeline(dot, operand.pipeline);
        this.variables.length = mark;
        return value;
      }
      case 'identifier':
        return this.callFunction(dot, operand.name, [], false, undefined, operand);
    }
  }

  // Walks a field chain. Only the last name receives the command's arguments.
  private evalFields(dot: unknown, receiver: unknown, names: string[], rest: Operand[], hasFinal: boolean, final: unknown, operand: Operand): unknown {
    let value = receiver;
    names.forEach((name, index) => {
      const isLast = index === names.length - 1;
      const args = isLast ? rest.map((argument) => this.evalOperand(dot, argument)) : [];
      if (isLast && hasFinal) args.push(final);
      value = this.evalField(value, name, args, operand);
    });
    return value;
  }

  private evalField(receiver: unknown, name: string, args: unknown[], operand: Operand): unknown {
    const source = operandSource(operand);
    if (receiver === null || receiver === undefined) this.fail(operand.position, source, `nil pointer evaluating interface {}.${name}`);

    if (hasDynamicFields(receiver)) return receiver.templateField(name, args);

    if (isPlainMap(receiver)) {
      if (args.length > 0) this.fail(operand.position, source, `${name} is not a method but has arguments`);
      if (Object.prototype.hasOwnProperty.call(receiver, name)) return receiver[name];
      if (this.options.missingKey === 'error') this.fail(operand.position, source, `map has no entry for key "${name}"`);
      return undefined;
    }

    if (typeof receiver === 'object' && !Array.isArray(receiver) && name in receiver) {
      const member = (receiver as Record<string, unknown>)[name];
      if (typeof member === 'function') {
        try {
          return (member as TemplateFunction).apply(receiver, args);
        } catch (error) {
          this.fail(operand.position, source, `error calling ${name}: ${(error as Error).message}`);
        }
      }
      if (args.length > 0) this.fail(operand.position, source, `${name} is not a method but has arguments`);
      return member;
    }

    this.fail(operand.position, source, `can't evaluate field ${name} in type ${typeName(receiver)}`);
  }

  private callFunction(dot: unknown, name: string, rest: Operand[], hasFinal: boolean, final: unknown, operand: Operand): unknown {
    // and/or evaluate their arguments lazily and return one of them, as Go 1.18 and later do.
    if (name === 'and' || name === 'or') {
      const operands: Array<() => unknown> = rest.map((argument) => () => this.evalOperand(dot, argument));
      if (hasFinal) operands.push(() => final);
      if (operands.length === 0) this.fail(operand.position, name, `wrong number of args for ${name}: want at least 1 got 0`);
      let value: unknown;
      for (const evaluate of operands) {
        value = evaluate();
        if (name === 'and' ? !isTruthy(value) : isTruthy(value)) return value;
      }
      return value;
    }

    const implementation = this.options.functions[name];
    if (!implementation) this.fail(operand.position, name, `function "${name}" not defined`);
    const args = rest.map((argument) => this.evalOperand(dot, argument));
    if (hasFinal) args.push(final);
    try {
      return implementation(...args);
    } catch (error) {
      this.fail(operand.position, name, `error calling ${name}: ${(error as Error).message}`);
    }
  }
}
