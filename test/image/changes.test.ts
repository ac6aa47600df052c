import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InvalidArgumentError, NotImplementedError } from '../../src/common/errors';
import { applyChanges } from '../../src/image/changes';

test('changes command forms', () => {
  assert.deepEqual(applyChanges({}, ['CMD ["sh", "-c", "echo hi"]']).Cmd, ['sh', '-c', 'echo hi']);
  assert.deepEqual(applyChanges({}, ['CMD echo "hi there"']).Cmd, ['/bin/sh', '-c', 'echo "hi there"']);
  assert.deepEqual(applyChanges({}, ['cmd []']).Cmd, []);
  assert.deepEqual(applyChanges({}, ['ENTRYPOINT ["/bin/app", "--flag"]']).Entrypoint, ['/bin/app', '--flag']);
  assert.deepEqual(applyChanges({}, ['ENTRYPOINT /bin/app run']).Entrypoint, ['/bin/sh', '-c', '/bin/app run']);
  // Not valid JSON: the shell form, as Docker falls back to.
  assert.deepEqual(applyChanges({}, ["CMD ['sh']"]).Cmd, ['/bin/sh', '-c', "['sh']"]);
});

test('changes env and label', () => {
  const config = applyChanges({ Env: ['PATH=/bin', 'A=old'] }, ['ENV A=new B="two words" C=x\\ y', 'ENV D legacy form value', "LABEL version=1 'quoted key'=\"v\""]);
  assert.deepEqual(config.Env, ['PATH=/bin', 'A=new', 'B=two words', 'C=x y', 'D=legacy form value']);
  assert.deepEqual(config.Labels, { version: '1', 'quoted key': 'v' });
});

test('changes other instructions', () => {
  const config = applyChanges({}, ['EXPOSE 80 53/udp 8000-8001/tcp', 'USER nobody', 'VOLUME ["/data", "/logs"]', 'VOLUME /cache', 'WORKDIR /srv', 'WORKDIR app', 'STOPSIGNAL SIGINT']);
  assert.deepEqual(config.ExposedPorts, { '80/tcp': {}, '53/udp': {}, '8000/tcp': {}, '8001/tcp': {} });
  assert.equal(config.User, 'nobody');
  assert.deepEqual(config.Volumes, { '/data': {}, '/logs': {}, '/cache': {} });
  assert.equal(config.WorkingDir, '/srv/app');
  assert.equal(config.StopSignal, 'SIGINT');
});

test('changes keep the base config', () => {
  const base = { Cmd: ['sh'], Env: ['A=1'] };
  const config = applyChanges(base, ['ENV B=2']);
  assert.deepEqual(config.Cmd, ['sh']);
  assert.deepEqual(base.Env, ['A=1']);
});

test('changes rejected', () => {
  const cases: Array<[string, RegExp, new (message: string) => Error]> = [
    ['RUN echo', /^RUN is not a valid change command$/, InvalidArgumentError],
    ['FROM busybox', /^FROM is not a valid change command$/, InvalidArgumentError],
    ['ENV A', /ENV must have two arguments/, InvalidArgumentError],
    ['ENV A=1 B', /can't find = in "B"/, InvalidArgumentError],
    ['EXPOSE http', /invalid containerPort: http/, InvalidArgumentError],
    ['STOPSIGNAL SIGNOPE', /Invalid signal: SIGNOPE/, InvalidArgumentError],
    ['USER a b', /USER requires exactly one argument/, InvalidArgumentError],
    ['ENV A="unterminated', /matching "/, InvalidArgumentError],
    ['HEALTHCHECK CMD true', /not supported/, NotImplementedError],
  ];
  for (const [change, message, kind] of cases) {
    assert.throws(() => applyChanges({}, [change]), (error: unknown) => error instanceof kind && message.test((error as Error).message), change);
  }
  // Positive control: the valid forms of the same instructions apply.
  assert.deepEqual(applyChanges({}, ['ENV A=1', 'STOPSIGNAL 9', 'STOPSIGNAL TERM']).Env, ['A=1']);
});
