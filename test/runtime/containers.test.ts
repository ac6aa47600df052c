// Containers run with real runc, conmon and overlayfs: output, exit codes,
// signals, OOM, capabilities, seccomp, masked paths and users.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { collectLogs, createFixture, destroyFixture, logText, makeRecord, processAlive, runToExit, startContainer, waitForExitFile, type RuntimeFixture } from './fixtures';
import type { LogOptions } from '../../src/engine/engine';

const ALL_LOGS: LogOptions = { follow: false, stdout: true, stderr: true, since: 0, until: 0, tail: null };

// Prints the errno of keyctl(KEYCTL_GET_KEYRING_ID, KEY_SPEC_SESSION_KEYRING), or 0 on success.
const KEYCTL_PROBE = `
#include <errno.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>
int main(void) {
  long id = syscall(SYS_keyctl, 0, -3, 0);
  printf("%d\\n", id < 0 ? errno : 0);
  return 0;
}
`;

describe('containers', () => {
  let fixture: RuntimeFixture;
  let haveKeyctlProbe = false;

  before(async () => {
    fixture = await createFixture();
    const source = path.join(fixture.root, 'keyctl-probe.c');
    fs.writeFileSync(source, KEYCTL_PROBE);
    try {
      execFileSync('gcc', ['-static', '-O1', '-o', path.join(fixture.lower.absoluteLowerDirs[0], 'bin', 'keyctl-probe'), source], { stdio: 'ignore' });
      haveKeyctlProbe = true;
    } catch {
      haveKeyctlProbe = false;
    }
  });

  after(async () => {
    await destroyFixture(fixture);
  });

  async function output(command: string[], overrides = {}) {
    const record = makeRecord(fixture, command, overrides);
    const exit = await runToExit(fixture, record);
    const entries = await collectLogs(fixture.runtime.readLogs(record, ALL_LOGS, () => false));
    return { exit, stdout: logText(entries, 'stdout'), stderr: logText(entries, 'stderr'), record };
  }

  it('echo hello reaches the log', async () => {
    const { exit, stdout } = await output(['echo', 'hello']);
    assert.equal(stdout, 'hello\n');
    assert.equal(exit.exitCode, 0);
  });

  it('exit code 3', async () => {
    const { exit } = await output(['sh', '-c', 'exit 3']);
    assert.equal(exit.exitCode, 3);
    assert.equal(exit.oomKilled, false);
    assert.ok(Date.parse(exit.finishedAt) > 0);
  });

  it('printf keeps bytes exactly', async () => {
    const { stdout, stderr } = await output(['sh', '-c', 'printf abc; printf oops >&2']);
    assert.equal(stdout, 'abc');
    assert.equal(stderr, 'oops');
  });

  it('follow streams a running container', async () => {
    const record = makeRecord(fixture, ['sh', '-c', 'echo first; sleep 0.3; printf second; sleep 0.2; echo " line"']);
    let exited = false;
    await startContainer(fixture, record);
    const reading = collectLogs(fixture.runtime.readLogs(record, { ...ALL_LOGS, follow: true }, () => !exited));
    await waitForExitFile(fixture, record.id);
    await fixture.runtime.collectExit(record.id);
    exited = true;
    const entries = await reading;
    assert.deepEqual(entries.map((entry) => entry.data.toString()), ['first\n', 'second line\n']);
    assert.match(entries[0].time, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$/);
    assert.ok(Date.parse(entries[1].time) - Date.parse(entries[0].time) >= 250, 'each entry keeps the time it was written');
  });

  it('PID 1 ignoring SIGTERM dies by KILL', async () => {
    const record = makeRecord(fixture, ['sh', '-c', 'trap "" TERM; while true; do sleep 1; done']);
    const pid = await startContainer(fixture, record);
    assert.ok(await fixture.runtime.isRunning(record.id));
    await fixture.runtime.kill(record.id, 'SIGTERM');
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.ok(processAlive(pid), 'TERM must not stop a PID 1 that ignores it');
    assert.equal(await fixture.runtime.collectExit(record.id), null, 'a running container has no exit');

    await fixture.runtime.kill(record.id, 'KILL');
    await waitForExitFile(fixture, record.id);
    const exit = await fixture.runtime.collectExit(record.id);
    assert.equal(exit?.exitCode, 137);
    assert.equal(exit?.oomKilled, false, 'a plain kill is no OOM kill');
    assert.equal(await fixture.runtime.isRunning(record.id), false);
    await fixture.runtime.kill(record.id, 'KILL');
  });

  it('memory limit OOM is reported', async () => {
    const { exit } = await output(['dd', 'if=/dev/zero', 'of=/dev/null', 'bs=64M', 'count=1'], {
      resources: { memory: 16 * 1024 * 1024, memorySwap: 0, nanoCpus: 0, cpuShares: 0, pidsLimit: null, ulimits: [], devices: [] },
    });
    assert.equal(exit.exitCode, 137);
    assert.equal(exit.oomKilled, true);
  });

  it('same allocation without limit succeeds', async () => {
    const { exit } = await output(['dd', 'if=/dev/zero', 'of=/dev/null', 'bs=64M', 'count=1']);
    assert.equal(exit.exitCode, 0);
    assert.equal(exit.oomKilled, false);
  });

  it('default capabilities match Docker', async () => {
    const { stdout } = await output(['grep', 'CapEff', '/proc/self/status']);
    assert.equal(stdout.trim(), 'CapEff:\t00000000a80425fb');
  });

  it('unshare and mount are denied', async () => {
    const { stdout } = await output(['sh', '-c', 'unshare -m true; echo unshare=$?; mount -t tmpfs none /mnt; echo mount=$?; unshare -U true; echo userns=$?']);
    assert.match(stdout, /unshare=[1-9]/);
    assert.match(stdout, /mount=[1-9]/);
    assert.match(stdout, /userns=[1-9]/);
  });

  it('SYS_ADMIN allows unshare and mount', async () => {
    const { stdout } = await output(['sh', '-c', 'mkdir -p /mnt && unshare -m true; echo unshare=$?; mount -t tmpfs none /mnt; echo mount=$?'], { capAdd: ['SYS_ADMIN'] });
    assert.match(stdout, /unshare=0/);
    assert.match(stdout, /mount=0/);
  });

  it('keyctl is denied by seccomp', async (t) => {
    if (!haveKeyctlProbe) {
      t.skip('gcc with static libc is not available to build the keyctl probe');
      return;
    }
    const denied = await output(['keyctl-probe']);
    assert.equal(denied.stdout.trim(), '1', 'keyctl fails with EPERM');
    const unconfined = await output(['keyctl-probe'], { securityOpt: ['seccomp=unconfined'] });
    assert.equal(unconfined.stdout.trim(), '0', 'without seccomp keyctl works');
  });

  // This VM's kernel has no /proc/kcore, so the check covers it when present
  // and proves masking on /proc/keys (a file) and /sys/firmware (a directory).
  it('/proc/kcore and friends are masked', async () => {
    const script = [
      '[ ! -e /proc/kcore ] || [ -c /proc/kcore ] && echo kcore-masked',
      '[ -c /proc/keys ] && echo keys-masked',
      '[ -z "$(ls /sys/firmware)" ] && echo firmware-empty',
      'cat /proc/sys/kernel/hostname > /dev/null && echo readable',
      'echo 1 > /proc/sys/kernel/hostname || echo readonly',
    ].join('; ');
    const masked = await output(['sh', '-c', script]);
    assert.match(masked.stdout, /kcore-masked/);
    assert.match(masked.stdout, /keys-masked/);
    assert.match(masked.stdout, /firmware-empty/);
    assert.match(masked.stdout, /readable/);
    assert.match(masked.stdout, /readonly/);
    const spec = JSON.parse(fs.readFileSync(path.join(fixture.runtime.pathsFor(masked.record.id).bundleDir, 'config.json'), 'utf8')) as { linux: { maskedPaths: string[] } };
    assert.ok(spec.linux.maskedPaths.includes('/proc/kcore'));

    const privileged = await output(['sh', '-c', '[ -f /proc/keys ] && echo keys-file; [ -n "$(ls /sys/firmware)" ] && echo firmware-listed'], { privileged: true });
    assert.equal(privileged.stdout, 'keys-file\nfirmware-listed\n');
  });

  it('numeric user has gid 0', async () => {
    const { stdout } = await output(['id'], { user: '1234' });
    assert.match(stdout, /^uid=1234 gid=0\(root\)/);
  });

  it('named user and group-add', async () => {
    const { stdout } = await output(['id'], { user: 'nobody', groupAdd: ['wheel'] });
    assert.match(stdout, /^uid=65534\(nobody\) gid=65534\(nogroup\)/);
    assert.match(stdout, /10\(wheel\)/);
    assert.match(stdout, /33\(www-data\)/);
  });

  it('unknown user fails at bundle time', async () => {
    const record = makeRecord(fixture, ['id'], { user: 'ghost' });
    await assert.rejects(startContainer(fixture, record), /unable to find user ghost: no matching entries in passwd file/);
  });

  it('missing command fails with 127 hint', async () => {
    const record = makeRecord(fixture, ['no-such-command']);
    await assert.rejects(startContainer(fixture, record), /OCI runtime create failed: .*executable file not found/);
    assert.equal(await fixture.runtime.isRunning(record.id), false);
  });

  it('conmon failure is reported', async () => {
    const record = makeRecord(fixture, ['true'], {}, { logPath: path.join(fixture.root, 'missing-dir', 'c.log') });
    await assert.rejects(startContainer(fixture, record), /OCI runtime create failed: .*Failed to open log file/);
    assert.equal(await fixture.runtime.isRunning(record.id), false);
  });

  it('open files limit is clamped', async () => {
    const { stdout } = await output(['sh', '-c', 'ulimit -n; ulimit -Hn']);
    const hard = execFileSync('sh', ['-c', 'ulimit -Hn'], { encoding: 'utf8' }).trim();
    const expected = hard === 'unlimited' ? '1048576' : String(Math.min(1048576, Number(hard)));
    assert.equal(stdout, `${expected}\n${expected}\n`);
  });

  it('hostname, hosts and workdir', async () => {
    const { stdout, record } = await output(['sh', '-c', 'hostname; cat /etc/hosts; pwd; echo $HOSTNAME'], { workingDir: '/work/dir' }, );
    const lines = stdout.split('\n');
    assert.equal(lines[0], record.id.slice(0, 12));
    assert.match(stdout, /127\.0\.0\.1\tlocalhost/);
    assert.ok(lines.includes('/work/dir'));
    assert.equal(lines[lines.length - 2], record.id.slice(0, 12));
  });

  it('read-only rootfs with tmpfs and init', async () => {
    const { stdout } = await output(['sh', '-c', 'touch /x 2>/dev/null || echo rofs; touch /scratch/y && echo tmpfs; cat /proc/1/comm; df /dev/shm | tail -1'], {
      readOnlyRootfs: true,
      init: true,
      mounts: [{ type: 'tmpfs', source: '', target: '/scratch', readOnly: false, tmpfsSize: 1024 * 1024 }],
    });
    assert.match(stdout, /rofs/);
    assert.match(stdout, /tmpfs/);
    assert.match(stdout, /docker-init|tini/);
    assert.match(stdout, /65536/, '/dev/shm is 64 MiB');
  });

  it('network none has only loopback', async () => {
    const { stdout } = await output(['sh', '-c', 'ls /sys/class/net']);
    assert.equal(stdout.trim(), 'lo');
  });

  it('restart reuses the container', async () => {
    const record = makeRecord(fixture, ['sh', '-c', 'echo run >> /state; cat /state']);
    await runToExit(fixture, record);
    await fixture.runtime.unmountRootfs(record.id);
    const second = await runToExit(fixture, record);
    assert.equal(second.exitCode, 0);
    const entries = await collectLogs(fixture.runtime.readLogs(record, ALL_LOGS, () => false));
    assert.equal(logText(entries), 'run\nrun\nrun\n', 'the upper layer and the log survive a restart');
  });
});
