// Flag parsing with pflag's rules and messages, checked against the run
// options (which have short letters, lists, booleans and value checks).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FlagError, parseFlags, parseGoBool, parseGoInt, renderFlagHelp, type FlagSpec } from '../../src/cli/flags';
import { RUN_FLAGS } from '../../src/cli/commands/run-flags';

function run(argv: string[]) {
  return parseFlags(RUN_FLAGS, argv, { interspersed: false });
}

test('combined short flags set each boolean', () => {
  const parsed = run(['-itd', 'busybox', 'sh']);
  assert.equal(parsed.flags.bool('interactive'), true);
  assert.equal(parsed.flags.bool('tty'), true);
  assert.equal(parsed.flags.bool('detach'), true);
  assert.deepEqual(parsed.args, ['busybox', 'sh']);
});

test('short flag value forms', () => {
  const cases: Array<[string[], string[]]> = [
    [['-e', 'A=1', 'img'], ['A=1']],
    [['-eA=1', 'img'], ['A=1']],
    [['-e=A=1', 'img'], ['A=1']],
    [['-ie', 'A=1', 'img'], ['A=1']],
    [['-e', 'A=1', '-e', 'B=2', 'img'], ['A=1', 'B=2']],
    [['--env', 'A=1', '--env=B=2', 'img'], ['A=1', 'B=2']],
  ];
  for (const [argv, expected] of cases) {
    const parsed = run(argv);
    assert.deepEqual(parsed.flags.list('env'), expected, argv.join(' '));
    assert.deepEqual(parsed.args, ['img'], argv.join(' '));
  }
});

test('booleans take values only after =', () => {
  assert.equal(run(['--rm', 'img']).flags.bool('rm'), true);
  assert.equal(run(['--rm=false', 'img']).flags.bool('rm'), false);
  assert.equal(run(['--rm=0', 'img']).flags.bool('rm'), false);
  assert.equal(run(['img']).flags.bool('rm'), false);
  // "--rm false" leaves "false" as the image, as pflag does.
  assert.deepEqual(run(['--rm', 'false']).args, ['false']);
  // Defaults apply when a flag is absent.
  assert.equal(run(['img']).flags.bool('sig-proxy'), true);
  assert.equal(run(['--sig-proxy=false', 'img']).flags.bool('sig-proxy'), false);
  assert.equal(run(['img']).flags.string('pull'), 'missing');
});

test('first positional stops parsing for run', () => {
  const parsed = run(['-d', 'busybox', 'ls', '-l', '--rm']);
  assert.deepEqual(parsed.args, ['busybox', 'ls', '-l', '--rm']);
  assert.equal(parsed.flags.bool('rm'), false);
});

test('double dash ends the flags', () => {
  const parsed = run(['--rm', '--', '-notaflag', 'x']);
  assert.deepEqual(parsed.args, ['-notaflag', 'x']);
  assert.equal(parsed.flags.bool('rm'), true);
});

test('interspersed flags after positionals', () => {
  const specs: FlagSpec[] = [{ name: 'force', short: 'f', kind: 'bool', description: 'x' }];
  const parsed = parseFlags(specs, ['a', '-f', 'b'], { interspersed: true });
  assert.deepEqual(parsed.args, ['a', 'b']);
  assert.equal(parsed.flags.bool('force'), true);
});

test('parse errors carry pflag messages', () => {
  const cases: Array<[string[], string]> = [
    [['--foo', 'x'], 'unknown flag: --foo'],
    [['-z', 'x'], "unknown shorthand flag: 'z' in -z"],
    [['-itz', 'x'], "unknown shorthand flag: 'z' in -itz"],
    [['-e'], "flag needs an argument: 'e' in -e"],
    [['--name'], 'flag needs an argument: --name'],
    [['--rm=maybe', 'x'], 'invalid argument "maybe" for "--rm" flag: strconv.ParseBool: parsing "maybe": invalid syntax'],
    [['--memory', 'abc', 'x'], `invalid argument "abc" for "-m, --memory" flag: invalid size: 'abc'`],
    [['--cpus', 'abc', 'x'], 'invalid argument "abc" for "--cpus" flag: failed to parse abc as a rational number'],
    [['--ulimit', 'nofile', 'x'], 'invalid argument "nofile" for "--ulimit" flag: invalid ulimit argument: nofile'],
    [['--pids-limit', 'x', 'y'], 'invalid argument "x" for "--pids-limit" flag: strconv.ParseInt: parsing "x": invalid syntax'],
    [['--mount', 'type=bind', 'x'], 'invalid argument "type=bind" for "--mount" flag: target is required'],
    [['--mount', 'foo=bar', 'x'], `invalid argument "foo=bar" for "--mount" flag: unexpected key 'foo' in 'foo=bar'`],
    [['-a', 'stdfoo', 'x'], 'invalid argument "stdfoo" for "-a, --attach" flag: valid streams are STDIN, STDOUT and STDERR'],
  ];
  for (const [argv, message] of cases) {
    assert.throws(() => run(argv), (error: unknown) => error instanceof FlagError && error.message === message, argv.join(' '));
  }
});

test('help flag stops parsing', () => {
  const specs: FlagSpec[] = [{ name: 'all', short: 'a', kind: 'bool', description: 'x' }];
  assert.equal(parseFlags(specs, ['--help', '--bogus'], { interspersed: true }).help, true);
  assert.equal(parseFlags(specs, ['-h'], { interspersed: true }).help, true);
  // run uses -h for --hostname, so it is not help there.
  const parsed = run(['-h', 'myhost', 'img']);
  assert.equal(parsed.help, false);
  assert.equal(parsed.flags.string('hostname'), 'myhost');
});

test('Go integer and boolean syntax', () => {
  assert.equal(parseGoInt('42'), 42);
  assert.equal(parseGoInt('-7'), -7);
  assert.equal(parseGoInt('0x1f'), 31);
  assert.equal(parseGoInt('017'), 15);
  assert.equal(parseGoInt('0b101'), 5);
  assert.throws(() => parseGoInt('1.5'), /invalid syntax/);
  assert.throws(() => parseGoInt(''), /invalid syntax/);
  assert.equal(parseGoBool('T'), true);
  assert.equal(parseGoBool('FALSE'), false);
  assert.throws(() => parseGoBool('yes'), /invalid syntax/);
});

test('help lists flags with units and defaults', () => {
  const help = renderFlagHelp(RUN_FLAGS);
  assert.match(help, /^ {2}-m, --memory bytes +Memory limit, with an optional unit b, k, m or g/m);
  assert.match(help, /^ {6}--pull string +When to pull the image: .* \(default "missing"\)$/m);
  assert.match(help, /^ {6}--stop-timeout seconds +/m);
  assert.match(help, /--sig-proxy +.*\(default true\)$/m);
  assert.doesNotMatch(help, /--net /, 'hidden alias --net is not listed');
});
