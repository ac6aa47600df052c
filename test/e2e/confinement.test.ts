// Default confinement matches Docker's: its capability set, the seccomp
// profile denying unshare, mount and keyctl, masked /proc paths; and
// --privileged lifts each of these, which is the positive control.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { assertDockerTalksToBerth, docker, runCommand } from '../helpers/cli';
import { startDaemon, type TestDaemon } from '../helpers/daemon';

// Docker's default capability set as a CapEff mask.
const DOCKER_DEFAULT_CAPS = '00000000a80425fb';

// A static probe that makes each syscall directly and prints "<name> ok" or "<name> <errno name>".
const PROBE_SOURCE = `
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <unistd.h>
static void report(const char *name, long result) {
  if (result == 0 || result > 0) printf("%s ok\\n", name);
  else printf("%s %s\\n", name, strerrorname_np(errno));
}
int main(void) {
  report("keyctl", syscall(SYS_keyctl, 0 /* KEYCTL_GET_KEYRING_ID */, -3 /* session keyring */, 0));
  report("mount", mount("none", "/tmp", "tmpfs", 0, NULL));
  report("unshare", unshare(CLONE_NEWUTS));
  return 0;
}
`;

let daemon: TestDaemon;
let probeDirectory: string;

before(async () => {
  daemon = await startDaemon();
  await assertDockerTalksToBerth(daemon);
  probeDirectory = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-probe-'));
  fs.writeFileSync(path.join(probeDirectory, 'probe.c'), PROBE_SOURCE);
  const compiled = await runCommand('gcc', ['-static', '-O1', '-o', path.join(probeDirectory, 'probe'), path.join(probeDirectory, 'probe.c')], process.env);
  assert.equal(compiled.exitCode, 0, compiled.stderr);
});

after(async () => {
  await daemon?.stop();
  if (probeDirectory) fs.rmSync(probeDirectory, { recursive: true, force: true });
});

function capEff(status: string): string {
  return /^CapEff:\s*([0-9a-f]+)$/m.exec(status)?.[1] ?? '';
}

test('default capabilities equal Docker defaults', async () => {
  const result = await docker(daemon, ['run', '--rm', 'busybox', 'cat', '/proc/self/status']);
  assert.equal(capEff(result.stdout), DOCKER_DEFAULT_CAPS);
});

test('privileged gets berthd bounding set', async () => {
  const berthdStatus = fs.readFileSync(`/proc/${daemon.pid()}/status`, 'utf8');
  const bounding = /^CapBnd:\s*([0-9a-f]+)$/m.exec(berthdStatus)?.[1];
  const result = await docker(daemon, ['run', '--rm', '--privileged', 'busybox', 'cat', '/proc/self/status']);
  assert.equal(capEff(result.stdout), bounding);
  assert.notEqual(bounding, DOCKER_DEFAULT_CAPS);
});

test('seccomp denies unshare, mount and keyctl', async () => {
  const mount = `${probeDirectory}:/probe:ro`;
  const confined = await docker(daemon, ['run', '--rm', '-v', mount, 'busybox', '/probe/probe']);
  assert.equal(confined.exitCode, 0, confined.stderr);
  assert.match(confined.stdout, /^keyctl EPERM$/m);
  assert.match(confined.stdout, /^mount EPERM$/m);
  assert.match(confined.stdout, /^unshare EPERM$/m);

  const privileged = await docker(daemon, ['run', '--rm', '--privileged', '-v', mount, 'busybox', '/probe/probe']);
  assert.match(privileged.stdout, /^keyctl ok$/m);
  assert.match(privileged.stdout, /^mount ok$/m);
  assert.match(privileged.stdout, /^unshare ok$/m);
});

// /proc/kcore is absent on kernels built without CONFIG_PROC_KCORE (as on the
// machines this suite runs on), so the test checks every Docker-masked /proc
// file that the host has.
test('masked proc files are masked', async () => {
  const candidates = ['/proc/kcore', '/proc/keys', '/proc/timer_list', '/proc/sched_debug'];
  const present = candidates.filter((file) => fs.existsSync(file));
  assert.ok(present.length > 0, 'the host has at least one masked /proc file');

  const script = present.map((file) => `stat -c "%n %F" ${file}; wc -c < ${file}`).join('; ');
  const confined = await docker(daemon, ['run', '--rm', 'busybox', 'sh', '-c', script]);
  const expected = present.map((file) => `${file} character special file\n0\n`).join('');
  assert.equal(confined.stdout, expected);

  const privileged = await docker(daemon, ['run', '--rm', '--privileged', 'busybox', 'stat', '-c', '%n %F', ...present]);
  for (const file of present) assert.match(privileged.stdout, new RegExp(`^${file} regular( empty)? file$`, 'm'));
});
