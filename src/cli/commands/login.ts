// berth login and logout: the daemon checks the credentials with the registry
// (POST /auth), then the CLI stores them in the docker CLI's config file.
import type { Readable, Writable } from 'node:stream';
import { CliError, type Command, type Streams } from '../command';
import { authKeyForServer, DOCKER_IO_AUTH_KEY, readCredentials, removeCredentials, storeCredentials } from './auth-config';

async function readAllText(input: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of input) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk)));
  return Buffer.concat(chunks).toString('utf8');
}

// Reads one line from a terminal. With echo off the typed characters are not shown (raw mode, so the CLI handles backspace and ^C itself).
function promptLine(streams: Streams, question: string, echo: boolean): Promise<string> {
  const input = streams.stdin;
  const output: Writable = streams.stdout;
  output.write(question);
  const raw = !echo && typeof input.setRawMode === 'function';
  if (raw) input.setRawMode!(true);
  return new Promise((resolve, reject) => {
    let line = '';
    const finish = (error: Error | null) => {
      input.off('data', onData);
      input.off('end', onEnd);
      input.pause();
      if (raw) {
        input.setRawMode!(false);
        output.write('\n');
      }
      if (error) reject(error);
      else resolve(line);
    };
    const onEnd = () => finish(null);
    const onData = (chunk: Buffer | string) => {
      for (const character of chunk.toString()) {
        if (character === '\r' || character === '\n') return finish(null);
        if (character === '\x03') return finish(new CliError('login canceled'));
        if (character === '\x7f' || character === '\b') line = line.slice(0, -1);
        else line += character;
      }
    };
    input.on('data', onData);
    input.once('end', onEnd);
    input.resume();
  });
}

interface LoginInput {
  username: string;
  password: string;
}

// Collects user and password from the flags, stdin or an interactive prompt, with the docker CLI's checks and messages.
async function collectCredentials(streams: Streams, key: string, username: string, password: string, passwordStdin: boolean, storedUser: string): Promise<LoginInput> {
  if (password !== '' && passwordStdin) throw new CliError('conflicting options: cannot specify both --password and --password-stdin');
  if (password !== '') streams.stderr.write('WARNING! Using --password via the CLI is insecure. Use --password-stdin.\n');
  if (passwordStdin) {
    if (username === '') throw new CliError('Must provide --username with --password-stdin');
    const text = await readAllText(streams.stdin);
    return { username, password: text.replace(/\r?\n$/, '') };
  }
  if (username !== '' && password !== '') return { username, password };

  if (!streams.stdin.isTTY) throw new CliError('Error: Cannot perform an interactive login from a non TTY device');
  if (key === DOCKER_IO_AUTH_KEY && username === '') {
    streams.stdout.write('Log in with your Docker ID or email address to push and pull images from Docker Hub.\n');
  }
  let user = username;
  if (user === '') {
    const question = storedUser !== '' ? `Username (${storedUser}): ` : 'Username: ';
    user = (await promptLine(streams, question, true)).trim() || storedUser;
    if (user === '') throw new CliError('Error: Non-null Username Required');
  }
  const typed = password !== '' ? password : await promptLine(streams, 'Password: ', false);
  if (typed === '') throw new CliError('Error: Password Required');
  return { username: user, password: typed };
}

export const loginCommand: Command = {
  name: 'login',
  usage: '[OPTIONS] [SERVER]',
  summary: 'Authenticate to a registry',
  flags: [
    { name: 'password', short: 'p', kind: 'string', description: 'Password or personal access token' },
    { name: 'password-stdin', kind: 'bool', description: 'Take the password or token from stdin' },
    { name: 'username', short: 'u', kind: 'string', description: 'Username' },
  ],
  args: { max: 1 },
  async run(context, flags, args) {
    const server = args[0] ?? '';
    const key = authKeyForServer(server);
    const username = flags.string('username').trim();
    const stored = readCredentials(context.environment, key);
    const credentials = await collectCredentials(context.streams, key, username, flags.string('password'), flags.bool('password-stdin'), stored?.username ?? '');

    const client = await context.client();
    const reply = await client.json<{ Status?: string; IdentityToken?: string }>('POST', '/auth', {
      body: { username: credentials.username, password: credentials.password, serveraddress: key },
    });
    const identityToken = reply?.IdentityToken ?? '';
    const file = storeCredentials(context.environment, key, { ...credentials, identityToken });
    context.streams.stderr.write(`WARNING! Your credentials are stored unencrypted in '${file}'.\n`);
    context.streams.stdout.write(`${reply?.Status || 'Login Succeeded'}\n`);
    return 0;
  },
};

export const logoutCommand: Command = {
  name: 'logout',
  usage: '[SERVER]',
  summary: 'Log out from a registry',
  flags: [],
  args: { max: 1 },
  async run(context, _flags, args) {
    const server = args[0] ?? '';
    const key = authKeyForServer(server);
    // docker 28 prints this line even when nothing was stored for the server.
    context.streams.stdout.write(`Removing login credentials for ${key}\n`);
    removeCredentials(context.environment, key);
    return 0;
  },
};
