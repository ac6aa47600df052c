// The command tree repeats each command's summary so that help needs no
// command module. These tests keep the copies equal to the commands and
// check that a lookup loads only the module of the command that runs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { GROUPS, TOP_LEVEL } from '../../src/cli/registry';

const COMMANDS_DIRECTORY = path.resolve(__dirname, '../../src/cli/commands');

function loadedCommandModules(): string[] {
  return Object.keys(require.cache).filter((file) => file.startsWith(COMMANDS_DIRECTORY + path.sep));
}

test('registry loads no command module up front', () => {
  assert.deepEqual(loadedCommandModules(), []);
});

test('registry summaries match the commands', () => {
  for (const [name, entry] of TOP_LEVEL) {
    assert.equal(entry.summary, entry.load().summary, `berth ${name}`);
  }
  for (const group of GROUPS.values()) {
    for (const [name, entry] of group.commands) {
      assert.equal(entry.summary, entry.load().summary, `berth ${group.name} ${name}`);
    }
  }
  assert.ok(loadedCommandModules().length > 0, 'load() required the command modules');
});

test('registry command names match their entries', () => {
  assert.equal(TOP_LEVEL.get('ps')?.load().name, 'ps');
  assert.equal(TOP_LEVEL.get('run')?.load().name, 'run');
  assert.equal(GROUPS.get('volume')?.commands.get('ls')?.load().name, 'ls');
});
