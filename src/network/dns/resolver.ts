// The embedded DNS server: listens on UDP and TCP port 53 at each user
// network's gateway, answers A queries for the names in that network's
// records and forwards every other query to the upstream servers.
import dgram from 'node:dgram';
import fs from 'node:fs';
import net from 'node:net';
import type { Logger } from '../../common/logger';
import { containsAddress, isIPv4, parseCidr, parseIPv4 } from '../cidr';
import { buildResponse, parseQuestion, RCODE_NOERROR, RCODE_REFUSED, RCODE_SERVFAIL, TYPE_A, CLASS_IN } from './codec';
import { lookupName, type ResolverRecords } from './records';

const FORWARD_TIMEOUT_MS = 2000;
const DNS_PORT = 53;

interface Listener {
  udp: dgram.Socket;
  tcp: net.Server;
}

export class EmbeddedResolver {
  private records: ResolverRecords = { upstreams: [], listeners: [] };
  private readonly listeners = new Map<string, Listener>();
  private readonly pending = new Set<string>();

  constructor(
    private readonly recordsFile: string,
    private readonly log: Logger,
    private readonly port = DNS_PORT,
  ) {}

  // Rereads the records file and opens or closes listeners to match it. An address
  // that cannot be bound yet (its bridge is still being set up) is tried again on the next reload.
  async reload(): Promise<void> {
    try {
      this.records = JSON.parse(await fs.promises.readFile(this.recordsFile, 'utf8')) as ResolverRecords;
    } catch (error) {
      this.log.error({ err: error, file: this.recordsFile }, 'read resolver records failed; keeping the previous records');
    }
    const configured = new Set(this.records.listeners.map((listener) => listener.address));
    for (const [address, listener] of this.listeners) {
      if (configured.has(address)) continue;
      listener.udp.close();
      listener.tcp.close();
      this.listeners.delete(address);
      this.log.info({ address }, 'stopped listening');
    }
    for (const address of configured) {
      if (this.listeners.has(address) || this.pending.has(address)) continue;
      this.pending.add(address);
      try {
        this.listeners.set(address, await this.listen(address));
        this.log.info({ address, port: this.port }, 'listening');
      } catch (error) {
        this.log.warn({ err: error, address }, 'listen failed; retrying on the next reload');
      } finally {
        this.pending.delete(address);
      }
    }
  }

  close(): void {
    for (const listener of this.listeners.values()) {
      listener.udp.close();
      listener.tcp.close();
    }
    this.listeners.clear();
  }

  private async listen(address: string): Promise<Listener> {
    const udp = dgram.createSocket('udp4');
    await new Promise<void>((resolve, reject) => {
      udp.once('error', reject);
      udp.bind(this.port, address, () => {
        udp.off('error', reject);
        resolve();
      });
    });
    udp.on('error', (error) => this.log.error({ err: error, address }, 'UDP socket error'));
    udp.on('message', (message, remote) => {
      this.answer(address, remote.address, message, 'udp')
        .then((response) => {
          if (response) udp.send(response, remote.port, remote.address);
        })
        .catch((error: unknown) => this.log.error({ err: error, address, client: remote.address }, 'respond to UDP query failed'));
    });

    const tcp = net.createServer((socket) => this.serveTcp(address, socket));
    try {
      await new Promise<void>((resolve, reject) => {
        tcp.once('error', reject);
        tcp.listen(this.port, address, () => {
          tcp.off('error', reject);
          resolve();
        });
      });
    } catch (error) {
      udp.close();
      throw error;
    }
    tcp.on('error', (error) => this.log.error({ err: error, address }, 'TCP server error'));
    return { udp, tcp };
  }

  // DNS over TCP frames each message with a 2-byte length (RFC 1035 section 4.2.2).
  private serveTcp(address: string, socket: net.Socket): void {
    let buffered = Buffer.alloc(0);
    socket.setTimeout(10_000, () => socket.destroy());
    socket.on('error', (error) => this.log.debug({ err: error, address }, 'TCP client error'));
    socket.on('data', (chunk) => {
      buffered = Buffer.concat([buffered, chunk]);
      while (buffered.length >= 2 && buffered.length >= 2 + buffered.readUInt16BE(0)) {
        const message = buffered.subarray(2, 2 + buffered.readUInt16BE(0));
        buffered = buffered.subarray(2 + message.length);
        this.answer(address, socket.remoteAddress ?? '', Buffer.from(message), 'tcp')
          .then((response) => {
            if (!response) return;
            const length = Buffer.alloc(2);
            length.writeUInt16BE(response.length);
            socket.write(Buffer.concat([length, response]));
          })
          .catch((error: unknown) => this.log.error({ err: error, address }, 'respond to TCP query failed'));
      }
    });
  }

  private async answer(address: string, client: string, message: Buffer, transport: 'udp' | 'tcp'): Promise<Buffer | null> {
    const question = parseQuestion(message);
    if (!question) return null;
    const listener = this.records.listeners.find((entry) => entry.address === address);
    // The gateway is reachable from other networks through the host, so a client
    // outside this network's subnet must not learn its names (nor use it as a relay).
    if (!listener || !isClientOf(listener.subnet, client)) {
      this.log.debug({ address, client, name: question.name }, 'rejected query from a client outside the network');
      return buildResponse(message, question, RCODE_REFUSED, []);
    }
    const local = lookupName(this.records, address, client.replace(/^::ffff:/, ''), question.name);
    if (local && question.class === CLASS_IN) {
      // A known container name has only IPv4 addresses, so other query types get an empty answer section and are not forwarded.
      return buildResponse(message, question, RCODE_NOERROR, question.type === TYPE_A ? local : []);
    }

    for (const upstream of this.records.upstreams) {
      try {
        return transport === 'udp' ? await forwardUdp(upstream, message) : await forwardTcp(upstream, message);
      } catch (error) {
        this.log.warn({ err: error, upstream, name: question.name }, 'forward query failed; trying the next upstream');
      }
    }
    return buildResponse(message, question, RCODE_SERVFAIL, []);
  }
}

function isClientOf(subnet: string, client: string): boolean {
  const address = client.replace(/^::ffff:/, '');
  return isIPv4(address) && containsAddress(parseCidr(subnet), parseIPv4(address));
}

function splitServer(server: string): { host: string; port: number } {
  const [host, port] = server.split(':');
  return { host, port: port ? Number(port) : DNS_PORT };
}

function forwardUdp(server: string, message: Buffer): Promise<Buffer> {
  const { host, port } = splitServer(server);
  return new Promise((resolve, reject) => {
    const socket = dgram.createSocket('udp4');
    const timer = setTimeout(() => {
      socket.close();
      reject(new Error(`no response from ${server} within ${FORWARD_TIMEOUT_MS} ms`));
    }, FORWARD_TIMEOUT_MS);
    socket.once('error', (error) => {
      clearTimeout(timer);
      socket.close();
      reject(error);
    });
    socket.on('message', (response) => {
      // Only the response to this query, matched by its ID, ends the wait.
      if (response.length < 2 || response.readUInt16BE(0) !== message.readUInt16BE(0)) return;
      clearTimeout(timer);
      socket.close();
      resolve(response);
    });
    socket.send(message, port, host);
  });
}

function forwardTcp(server: string, message: Buffer): Promise<Buffer> {
  const { host, port } = splitServer(server);
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port });
    let buffered = Buffer.alloc(0);
    socket.setTimeout(FORWARD_TIMEOUT_MS, () => socket.destroy(new Error(`no response from ${server} within ${FORWARD_TIMEOUT_MS} ms`)));
    socket.once('error', reject);
    socket.on('connect', () => {
      const length = Buffer.alloc(2);
      length.writeUInt16BE(message.length);
      socket.write(Buffer.concat([length, message]));
    });
    socket.on('data', (chunk) => {
      buffered = Buffer.concat([buffered, chunk]);
      if (buffered.length >= 2 && buffered.length >= 2 + buffered.readUInt16BE(0)) {
        socket.end();
        resolve(buffered.subarray(2, 2 + buffered.readUInt16BE(0)));
      }
    });
  });
}
