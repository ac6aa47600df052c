// The Go template engine behind --format and inspect -f, checked against
// outputs recorded from docker 28's Go templates for the same inputs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseGoTemplate, TemplateExecutionError, TemplateSyntaxError } from '../../src/cli/format/template';
import { formatGoFloat, goSprintf } from '../../src/cli/format/go-format';

const data = {
  Names: 'web',
  State: 'running',
  Labels: { b: '2', a: '1' },
  List: ['x', 'y'],
  N: 3,
  F: 1.5,
  Nil: null,
  Empty: [],
  EmptyMap: {},
  Nested: { Inner: { Value: 'deep' } },
};

function render(template: string, value: unknown = data, missingKey: 'default' | 'error' = 'default'): string {
  return parseGoTemplate(template, { missingKey }).execute(value);
}

test('template rendering table', () => {
  const cases: Array<[string, string]> = [
    ['{{.Names}}', 'web'],
    ['{{.Nested.Inner.Value}}', 'deep'],
    ['{{.Labels}}', 'map[a:1 b:2]'],
    ['{{.List}}', '[x y]'],
    ['{{.N}} {{.F}}', '3 1.5'],
    ['{{.Nil}}|{{.Empty}}|{{.EmptyMap}}|{{.Missing}}', '<no value>|[]|map[]|<no value>'],
    ['{{range $i, $e := .List}}[{{$i}}={{$e}}]{{end}}', '[0=x][1=y]'],
    ['{{range .Empty}}x{{else}}none{{end}}', 'none'],
    ['{{range $k, $v := .Labels}}{{$k}}={{$v}};{{end}}', 'a=1;b=2;'],
    ['{{range .List}}{{if eq . "y"}}{{break}}{{end}}{{.}}{{end}}', 'x'],
    ['{{range .List}}{{if eq . "x"}}{{continue}}{{end}}{{.}}{{end}}', 'y'],
    ['{{if eq .State "running"}}R{{else if eq .State "exited"}}X{{else}}?{{end}}', 'R'],
    ['{{if .Empty}}yes{{else}}no{{end}}', 'no'],
    ['{{with .Nested.Inner}}{{.Value}}{{end}}', 'deep'],
    ['{{with .Nil}}x{{else}}empty{{end}}', 'empty'],
    ['{{json .List}} {{.Labels | json}}', '["x","y"] {"a":"1","b":"2"}'],
    ['{{json .Nested}}', '{"Inner":{"Value":"deep"}}'],
    ['{{index .Labels "a"}} {{index .List 1}}', '1 y'],
    ['{{len .List}} {{len .Names}} {{len .Labels}}', '2 3 2'],
    ['{{printf "%-6s|%5d|%q|%v|%.2f" .Names .N .State .List .F}}', 'web   |    3|"running"|[x y]|1.50'],
    ['{{println .Names}}{{print 1 2 "a" "b" 3}}', 'web\n1 2ab3'],
    ['{{join .List ","}} {{upper .State}} {{lower "AbC"}} {{title "hello world"}}', 'x,y RUNNING abc Hello World'],
    ['{{split "a,b" ","}} {{join (split .Names "e") "+"}}', '[a b] w+b'],
    ['{{truncate .Names 2}}|{{pad .Names 1 2}}|', 'we| web  |'],
    ['{{- .Names -}}  {{/* comment */}}  x {{ .State -}}  \n y', 'web  x runningy'],
    ['{{$x := .N}}{{$x}} {{$x = 5}}{{$x}}', '3 5'],
    ['{{and 1 0}} {{or 0 "" "z"}} {{not .Nil}} {{and .Names .State}}', '0 z true running'],
    ['{{ne .N 4}} {{lt .N 4}} {{le 3 3}} {{gt "b" "a"}} {{ge .F 2.0}}', 'true true true true false'],
    ['{{eq .State "exited" "running"}}', 'true'],
    ['{{(index .List 1) | printf "%s!"}}', 'y!'],
    ['{{"a\\tb"}} {{`raw\\n`}} {{0x10}}', 'a\tb raw\\n 16'],
    ['{{$.Names}}{{range .List}}-{{$.N}}{{end}}', 'web-3-3'],
    ['{{range 3}}{{.}}{{end}}', '012'],
  ];
  for (const [template, expected] of cases) {
    assert.equal(render(template), expected, template);
  }
});

test('syntax errors use Go wording', () => {
  const cases: Array<[string, RegExp]> = [
    ['{{.Names', /^template: :1: unclosed action$/],
    ['{{foo .Names}}', /^template: :1: function "foo" not defined$/],
    ['{{if .X}}x', /unexpected EOF/],
    ['{{end}}', /unexpected \{\{end\}\}/],
    ['{{break}}', /\{\{break\}\} outside \{\{range\}\}/],
  ];
  for (const [template, pattern] of cases) {
    assert.throws(() => parseGoTemplate(template), (error: unknown) => error instanceof TemplateSyntaxError && pattern.test(error.message), template);
  }
});

test('execution errors name the node', () => {
  assert.throws(
    () => render('{{.Nope.Deeper}}', data, 'error'),
    (error: unknown) => error instanceof TemplateExecutionError && error.message === 'template: :1:7: executing "" at <.Nope.Deeper>: map has no entry for key "Nope"',
  );
  assert.equal(render('{{.Nope}}', data, 'default'), '<no value>');
  assert.throws(() => render('{{.Names.X}}'), /can't evaluate field X in type string/);
  assert.throws(() => render('{{index .List 5}}'), /error calling index: index out of range: 5/);
});

class Row {
  readonly templateTypeName = '*formatter.ContainerContext';
  Name(): string {
    return 'c1';
  }
  Label(key: string): string {
    return key === 'a' ? 'one' : '';
  }
}

test('struct methods and arguments', () => {
  assert.equal(render('{{.Name}} {{.Label "a"}}|{{.Label "b"}}|', new Row()), 'c1 one||');
  assert.throws(() => render('{{.Nope}}', new Row()), /can't evaluate field Nope in type \*formatter\.ContainerContext/);
});

test('Go float and printf formatting', () => {
  const cases: Array<[number, 'e' | 'f' | 'g', number, string]> = [
    [4.26155, 'g', 3, '4.26'],
    [100, 'g', 3, '100'],
    [999.7, 'g', 3, '1e+03'],
    [12.345, 'g', 3, '12.3'],
    [1.5, 'g', -1, '1.5'],
    [1e6, 'g', -1, '1e+06'],
    [123456, 'g', -1, '123456'],
    [0.00001, 'g', -1, '1e-05'],
    [4.262, 'g', 4, '4.262'],
    [1.5, 'e', 2, '1.50e+00'],
    [2.5, 'f', 1, '2.5'],
  ];
  for (const [value, verb, precision, expected] of cases) {
    assert.equal(formatGoFloat(value, verb, precision), expected, `${value} %${verb} ${precision}`);
  }
  assert.equal(goSprintf('%s|%d|%x|%5.1f|%%|%t|%c', ['a', 7, 255, 3.14159, true, 65]), 'a|7|ff|  3.1|%|true|A');
  assert.equal(goSprintf('%d %s', [1]), '1 %!s(MISSING)');
  assert.equal(goSprintf('%d', ['x']), '%!d(string=x)');
  assert.equal(goSprintf('%s', ['a', 'b']), 'a%!(EXTRA string=b)');
  assert.equal(goSprintf('%q', ['a"b\n']), '"a\\"b\\n"');
});
