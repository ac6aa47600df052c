// The command tree: top-level commands as docker spells them, and the
// container, image, volume and system groups with their subcommands.
import { PROGRAM, type Command, type CommandGroup } from './command';
import { attachCommand, startCommand } from './commands/attach';
import {
  killCommand,
  pauseCommand,
  removeCommand,
  renameCommand,
  restartCommand,
  stopCommand,
  unpauseCommand,
  waitCommand,
} from './commands/container-lifecycle';
import { execCommand } from './commands/exec';
import { importCommand, loadCommand, removeImageCommand, tagCommand } from './commands/images';
import { containerInspectCommand, imageInspectCommand, inspectCommand, topCommand, volumeInspectCommand } from './commands/inspect';
import { imagesCommand, psCommand, volumeListCommand } from './commands/list';
import { logsCommand } from './commands/logs';
import { createCommandSpec, runCommandSpec } from './commands/run';
import { infoCommand, versionCommand } from './commands/system';
import { volumeCreateCommand, volumePruneCommand, volumeRemoveCommand } from './commands/volumes';

function group(name: string, summary: string, entries: Array<[string, Command]>, listed: string[]): CommandGroup {
  return { name, summary, commands: new Map(entries), listed };
}

const CONTAINER_GROUP = group(
  'container',
  'Manage containers',
  [
    ['attach', attachCommand],
    ['create', createCommandSpec],
    ['exec', execCommand],
    ['inspect', containerInspectCommand],
    ['kill', killCommand],
    ['logs', logsCommand],
    ['ls', psCommand],
    ['list', psCommand],
    ['ps', psCommand],
    ['pause', pauseCommand],
    ['rename', renameCommand],
    ['restart', restartCommand],
    ['rm', removeCommand],
    ['remove', removeCommand],
    ['run', runCommandSpec],
    ['start', startCommand],
    ['stop', stopCommand],
    ['top', topCommand],
    ['unpause', unpauseCommand],
    ['wait', waitCommand],
  ],
  ['attach', 'create', 'exec', 'inspect', 'kill', 'logs', 'ls', 'pause', 'rename', 'restart', 'rm', 'run', 'start', 'stop', 'top', 'unpause', 'wait'],
);

const IMAGE_GROUP = group(
  'image',
  'Manage images',
  [
    ['import', importCommand],
    ['inspect', imageInspectCommand],
    ['load', loadCommand],
    ['ls', imagesCommand],
    ['list', imagesCommand],
    ['rm', removeImageCommand],
    ['remove', removeImageCommand],
    ['tag', tagCommand],
  ],
  ['import', 'inspect', 'load', 'ls', 'rm', 'tag'],
);

const VOLUME_GROUP = group(
  'volume',
  'Manage volumes',
  [
    ['create', volumeCreateCommand],
    ['inspect', volumeInspectCommand],
    ['ls', volumeListCommand],
    ['list', volumeListCommand],
    ['prune', volumePruneCommand],
    ['rm', volumeRemoveCommand],
    ['remove', volumeRemoveCommand],
  ],
  ['create', 'inspect', 'ls', 'prune', 'rm'],
);

const SYSTEM_GROUP = group('system', 'Manage Berth', [['info', infoCommand]], ['info']);

export const GROUPS: ReadonlyMap<string, CommandGroup> = new Map([CONTAINER_GROUP, IMAGE_GROUP, VOLUME_GROUP, SYSTEM_GROUP].map((entry) => [entry.name, entry]));

export const TOP_LEVEL: ReadonlyMap<string, Command> = new Map<string, Command>([
  ['run', runCommandSpec],
  ['exec', execCommand],
  ['ps', psCommand],
  ['images', imagesCommand],
  ['version', versionCommand],
  ['info', infoCommand],
  ['attach', attachCommand],
  ['create', createCommandSpec],
  ['import', importCommand],
  ['inspect', inspectCommand],
  ['kill', killCommand],
  ['load', loadCommand],
  ['logs', logsCommand],
  ['pause', pauseCommand],
  ['rename', renameCommand],
  ['restart', restartCommand],
  ['rm', removeCommand],
  ['rmi', removeImageCommand],
  ['start', startCommand],
  ['stop', stopCommand],
  ['tag', tagCommand],
  ['top', topCommand],
  ['unpause', unpauseCommand],
  ['wait', waitCommand],
]);

const COMMON = ['run', 'exec', 'ps', 'images', 'version', 'info'];

export function renderProgramHelp(): string {
  const describe = (name: string, summary: string) => `  ${name.padEnd(10)}  ${summary}`;
  const common = COMMON.map((name) => describe(name, TOP_LEVEL.get(name)!.summary));
  const management = [...GROUPS.values()].map((entry) => describe(entry.name, entry.summary));
  const others = [...TOP_LEVEL.keys()]
    .filter((name) => !COMMON.includes(name))
    .sort()
    .map((name) => describe(name, TOP_LEVEL.get(name)!.summary));
  return `
Usage:  ${PROGRAM} [OPTIONS] COMMAND

A Docker-compatible container engine client: it talks to berthd over the Docker Engine API.

Common Commands:
${common.join('\n')}

Management Commands:
${management.join('\n')}

Commands:
${others.join('\n')}

Global Options:
  -H, --host string   Daemon socket to connect to, as unix:///path/to/socket
  -D, --debug         Print the stack of unexpected errors
  -v, --version       Print version information and quit

Daemon socket, highest precedence first:
  -H/--host, then BERTH_HOST, then DOCKER_HOST, then the socket of the Berth
  instance named by berthd's settings (BERTH_SOCKET, BERTH_INSTANCE, BERTH_ROOT,
  /etc/berth/berthd.json), by default unix:///run/berth/berth.sock.

When nothing listens on the socket, berth starts berthd in the background
(its log goes to berthd.log in the instance's run directory). Set
BERTH_NO_AUTOSTART=1 to turn that off. A socket named only by DOCKER_HOST is
never autostarted, because it may belong to Docker.

Run '${PROGRAM} COMMAND --help' for more information on a command.
`;
}
