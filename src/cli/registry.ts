// The command tree: top-level commands as docker spells them, and the
// container, image, volume and system groups with their subcommands. Each
// entry carries its summary for help text and loads its command module only
// when that command runs, because loading every module up front doubled the
// CLI's start-up time.
import { PROGRAM, type CommandEntry, type CommandGroup } from './command';

// The command modules, each loaded by require() on first use.
type Modules = {
  attach: typeof import('./commands/attach');
  lifecycle: typeof import('./commands/container-lifecycle');
  exec: typeof import('./commands/exec');
  images: typeof import('./commands/images');
  inspect: typeof import('./commands/inspect');
  list: typeof import('./commands/list');
  logs: typeof import('./commands/logs');
  run: typeof import('./commands/run');
  system: typeof import('./commands/system');
  volumes: typeof import('./commands/volumes');
  pull: typeof import('./commands/pull');
  push: typeof import('./commands/push');
  login: typeof import('./commands/login');
  history: typeof import('./commands/history');
  containerImage: typeof import('./commands/container-image');
  networks: typeof import('./commands/networks');
  port: typeof import('./commands/port');
  events: typeof import('./commands/events');
  stats: typeof import('./commands/stats');
  update: typeof import('./commands/update');
  cp: typeof import('./commands/cp');
  prune: typeof import('./commands/prune');
  systemDf: typeof import('./commands/system-df');
  build: typeof import('./commands/build');
};

const load = {
  attach: () => require('./commands/attach') as Modules['attach'],
  lifecycle: () => require('./commands/container-lifecycle') as Modules['lifecycle'],
  exec: () => require('./commands/exec') as Modules['exec'],
  images: () => require('./commands/images') as Modules['images'],
  inspect: () => require('./commands/inspect') as Modules['inspect'],
  list: () => require('./commands/list') as Modules['list'],
  logs: () => require('./commands/logs') as Modules['logs'],
  run: () => require('./commands/run') as Modules['run'],
  system: () => require('./commands/system') as Modules['system'],
  volumes: () => require('./commands/volumes') as Modules['volumes'],
  pull: () => require('./commands/pull') as Modules['pull'],
  push: () => require('./commands/push') as Modules['push'],
  login: () => require('./commands/login') as Modules['login'],
  history: () => require('./commands/history') as Modules['history'],
  containerImage: () => require('./commands/container-image') as Modules['containerImage'],
  networks: () => require('./commands/networks') as Modules['networks'],
  port: () => require('./commands/port') as Modules['port'],
  events: () => require('./commands/events') as Modules['events'],
  stats: () => require('./commands/stats') as Modules['stats'],
  update: () => require('./commands/update') as Modules['update'],
  cp: () => require('./commands/cp') as Modules['cp'],
  prune: () => require('./commands/prune') as Modules['prune'],
  systemDf: () => require('./commands/system-df') as Modules['systemDf'],
  build: () => require('./commands/build') as Modules['build'],
};

// The summary is repeated here so help text needs no command module. A test checks it against the loaded command.
function entry(summary: string, loadCommand: CommandEntry['load']): CommandEntry {
  return { summary, load: loadCommand };
}

const attachCommand = entry('Attach local standard input, output, and error streams to a running container', () => load.attach().attachCommand);
const startCommand = entry('Start one or more stopped containers', () => load.attach().startCommand);
const killCommand = entry('Kill one or more running containers', () => load.lifecycle().killCommand);
const pauseCommand = entry('Pause all processes within one or more containers', () => load.lifecycle().pauseCommand);
const removeCommand = entry('Remove one or more containers', () => load.lifecycle().removeCommand);
const renameCommand = entry('Rename a container', () => load.lifecycle().renameCommand);
const restartCommand = entry('Restart one or more containers', () => load.lifecycle().restartCommand);
const stopCommand = entry('Stop one or more running containers', () => load.lifecycle().stopCommand);
const unpauseCommand = entry('Unpause all processes within one or more containers', () => load.lifecycle().unpauseCommand);
const waitCommand = entry('Block until one or more containers stop, then print their exit codes', () => load.lifecycle().waitCommand);
const execCommand = entry('Execute a command in a running container', () => load.exec().execCommand);
const importCommand = entry('Import the contents from a tarball to create a filesystem image', () => load.images().importCommand);
const loadCommand = entry('Load an image from a tar archive or STDIN', () => load.images().loadCommand);
const removeImageCommand = entry('Remove one or more images', () => load.images().removeImageCommand);
const tagCommand = entry('Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE', () => load.images().tagCommand);
const containerInspectCommand = entry('Display detailed information on one or more containers', () => load.inspect().containerInspectCommand);
const imageInspectCommand = entry('Display detailed information on one or more images', () => load.inspect().imageInspectCommand);
const inspectCommand = entry('Return low-level information on Berth objects', () => load.inspect().inspectCommand);
const topCommand = entry('Display the running processes of a container', () => load.inspect().topCommand);
const volumeInspectCommand = entry('Display detailed information on one or more volumes', () => load.inspect().volumeInspectCommand);
const imagesCommand = entry('List images', () => load.list().imagesCommand);
const psCommand = entry('List containers', () => load.list().psCommand);
const volumeListCommand = entry('List volumes', () => load.list().volumeListCommand);
const logsCommand = entry('Fetch the logs of a container', () => load.logs().logsCommand);
const createCommandSpec = entry('Create a new container', () => load.run().createCommandSpec);
const runCommandSpec = entry('Create and run a new container from an image', () => load.run().runCommandSpec);
const eventsCommand = entry('Get real time events from the server', () => load.events().eventsCommand);
const infoCommand = entry('Display system-wide information', () => load.system().infoCommand);
const versionCommand = entry('Show the Berth version information', () => load.system().versionCommand);
const volumeCreateCommand = entry('Create a volume', () => load.volumes().volumeCreateCommand);
const volumePruneCommand = entry('Remove unused local volumes', () => load.volumes().volumePruneCommand);
const volumeRemoveCommand = entry('Remove one or more volumes', () => load.volumes().volumeRemoveCommand);
const buildCommand = entry('Build an image from a Dockerfile', () => load.build().buildCommand);
const pullCommand = entry('Download an image from a registry', () => load.pull().pullCommand);
const pushCommand = entry('Upload an image to a registry', () => load.push().pushCommand);
const loginCommand = entry('Authenticate to a registry', () => load.login().loginCommand);
const logoutCommand = entry('Log out from a registry', () => load.login().logoutCommand);
const historyCommand = entry('Show the history of an image', () => load.history().historyCommand);
const saveCommand = entry('Save one or more images to a tar archive (streamed to STDOUT by default)', () => load.history().saveCommand);
const exportCommand = entry("Export a container's filesystem as a tar archive", () => load.containerImage().exportCommand);
const diffCommand = entry("Inspect changes to files or directories on a container's filesystem", () => load.containerImage().diffCommand);
const commitCommand = entry("Create a new image from a container's changes", () => load.containerImage().commitCommand);
const imagePruneCommand = entry('Remove unused images', () => load.containerImage().imagePruneCommand);

const networkConnectCommand = entry('Connect a container to a network', () => load.networks().networkConnectCommand);
const networkCreateCommand = entry('Create a network', () => load.networks().networkCreateCommand);
const networkDisconnectCommand = entry('Disconnect a container from a network', () => load.networks().networkDisconnectCommand);
const networkInspectCommand = entry('Display detailed information on one or more networks', () => load.inspect().networkInspectCommand);
const networkListCommand = entry('List networks', () => load.networks().networkListCommand);
const containerPruneCommand = entry('Remove all stopped containers', () => load.prune().containerPruneCommand);
const systemPruneCommand = entry('Remove unused data', () => load.prune().systemPruneCommand);
const builderPruneCommand = entry('Remove build cache', () => load.prune().builderPruneCommand);
const systemDfCommand = entry('Show docker disk usage', () => load.systemDf().systemDfCommand);
const networkPruneCommand = entry('Remove all unused networks', () => load.networks().networkPruneCommand);
const networkRemoveCommand = entry('Remove one or more networks', () => load.networks().networkRemoveCommand);
const portCommand = entry('List port mappings or a specific mapping for the container', () => load.port().portCommand);

const statsCommand = entry('Display a live stream of container(s) resource usage statistics', () => load.stats().statsCommand);
const updateCommand = entry('Update configuration of one or more containers', () => load.update().updateCommand);
const cpCommand = entry('Copy files/folders between a container and the local filesystem', () => load.cp().cpCommand);

function group(name: string, summary: string, entries: Array<[string, CommandEntry]>, listed: string[]): CommandGroup {
  return { name, summary, commands: new Map(entries), listed };
}

const CONTAINER_GROUP = group(
  'container',
  'Manage containers',
  [
    ['attach', attachCommand],
    ['commit', commitCommand],
    ['cp', cpCommand],
    ['create', createCommandSpec],
    ['diff', diffCommand],
    ['exec', execCommand],
    ['export', exportCommand],
    ['inspect', containerInspectCommand],
    ['kill', killCommand],
    ['logs', logsCommand],
    ['ls', psCommand],
    ['list', psCommand],
    ['ps', psCommand],
    ['pause', pauseCommand],
    ['port', portCommand],
    ['prune', containerPruneCommand],
    ['rename', renameCommand],
    ['restart', restartCommand],
    ['rm', removeCommand],
    ['remove', removeCommand],
    ['run', runCommandSpec],
    ['start', startCommand],
    ['stats', statsCommand],
    ['stop', stopCommand],
    ['top', topCommand],
    ['unpause', unpauseCommand],
    ['update', updateCommand],
    ['wait', waitCommand],
  ],
  ['attach', 'commit', 'cp', 'create', 'diff', 'exec', 'export', 'inspect', 'kill', 'logs', 'ls', 'pause', 'port', 'prune', 'rename', 'restart', 'rm', 'run', 'start', 'stats', 'stop', 'top', 'unpause', 'update', 'wait'],
);

const IMAGE_GROUP = group(
  'image',
  'Manage images',
  [
    ['build', buildCommand],
    ['history', historyCommand],
    ['import', importCommand],
    ['inspect', imageInspectCommand],
    ['load', loadCommand],
    ['ls', imagesCommand],
    ['list', imagesCommand],
    ['prune', imagePruneCommand],
    ['pull', pullCommand],
    ['push', pushCommand],
    ['rm', removeImageCommand],
    ['remove', removeImageCommand],
    ['save', saveCommand],
    ['tag', tagCommand],
  ],
  ['build', 'history', 'import', 'inspect', 'load', 'ls', 'prune', 'pull', 'push', 'rm', 'save', 'tag'],
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

const NETWORK_GROUP = group(
  'network',
  'Manage networks',
  [
    ['connect', networkConnectCommand],
    ['create', networkCreateCommand],
    ['disconnect', networkDisconnectCommand],
    ['inspect', networkInspectCommand],
    ['ls', networkListCommand],
    ['list', networkListCommand],
    ['prune', networkPruneCommand],
    ['rm', networkRemoveCommand],
    ['remove', networkRemoveCommand],
  ],
  ['connect', 'create', 'disconnect', 'inspect', 'ls', 'prune', 'rm'],
);

const SYSTEM_GROUP = group(
  'system',
  'Manage Berth',
  [['df', systemDfCommand], ['events', eventsCommand], ['info', infoCommand], ['prune', systemPruneCommand]],
  ['df', 'events', 'info', 'prune'],
);

const BUILDER_GROUP = group('builder', 'Manage builds', [['build', buildCommand], ['prune', builderPruneCommand]], ['build', 'prune']);

export const GROUPS: ReadonlyMap<string, CommandGroup> = new Map([BUILDER_GROUP, CONTAINER_GROUP, IMAGE_GROUP, NETWORK_GROUP, VOLUME_GROUP, SYSTEM_GROUP].map((entry) => [entry.name, entry]));

export const TOP_LEVEL: ReadonlyMap<string, CommandEntry> = new Map<string, CommandEntry>([
  ['run', runCommandSpec],
  ['exec', execCommand],
  ['events', eventsCommand],
  ['ps', psCommand],
  ['images', imagesCommand],
  ['version', versionCommand],
  ['info', infoCommand],
  ['pull', pullCommand],
  ['push', pushCommand],
  ['login', loginCommand],
  ['logout', logoutCommand],
  ['attach', attachCommand],
  ['build', buildCommand],
  ['commit', commitCommand],
  ['cp', cpCommand],
  ['create', createCommandSpec],
  ['diff', diffCommand],
  ['export', exportCommand],
  ['history', historyCommand],
  ['import', importCommand],
  ['inspect', inspectCommand],
  ['kill', killCommand],
  ['load', loadCommand],
  ['logs', logsCommand],
  ['pause', pauseCommand],
  ['port', portCommand],
  ['rename', renameCommand],
  ['restart', restartCommand],
  ['rm', removeCommand],
  ['rmi', removeImageCommand],
  ['save', saveCommand],
  ['start', startCommand],
  ['stats', statsCommand],
  ['stop', stopCommand],
  ['tag', tagCommand],
  ['top', topCommand],
  ['unpause', unpauseCommand],
  ['update', updateCommand],
  ['wait', waitCommand],
]);

const COMMON = ['run', 'exec', 'ps', 'build', 'images', 'pull', 'push', 'login', 'logout', 'version', 'info'];

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
