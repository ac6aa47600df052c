// Connects containers to networks: which networks a new container joins, the
// network namespace, endpoints and published ports set up before each start
// and released after each exit, and the /etc/hosts and /etc/resolv.conf
// contents that go with them.
import { InvalidArgumentError, NotFoundError } from '../common/errors';
import type { DaemonConfig } from '../common/config';
import type { Logger } from '../common/logger';
import { containerHostname } from '../container/runtime';
import type { ContainerRecord, ContainerSpec, NetworkAttachment } from '../container/types';
import type { ImageRecord } from '../image/types';
import type { NetworkService } from '../network/service';
import type { PortSpec } from '../network/types';
import type { ContainerNetworkState } from './engine';

export interface NetworkSetup {
  networkNamespacePath: string | null;
  ipAddress: string | null;
  hostsContent: string;
  resolvConfContent: string;
}

// "default" and "" name the default network, as in Docker's API.
export function normalizeNetworkMode(mode: string): string {
  return mode === '' || mode === 'default' ? 'bridge' : mode;
}

function usesSandbox(mode: string): boolean {
  return mode !== 'none' && mode !== 'host' && !mode.startsWith('container:');
}

export class ContainerNetworking {
  constructor(
    private readonly networks: NetworkService,
    private readonly config: DaemonConfig,
    private readonly logger: Logger,
  ) {}

  // Returns the networks a new container joins, keyed by network ID.
  networksAtCreate(spec: ContainerSpec): Record<string, NetworkAttachment & { name: string }> {
    const mode = normalizeNetworkMode(spec.networkMode);
    if (mode.startsWith('container:')) throw new InvalidArgumentError(`network mode ${mode} is not supported yet`);
    if (!usesSandbox(mode)) {
      if (spec.portBindings?.length) this.logger.debug({ mode }, 'published ports are discarded in network mode ' + mode);
      return {};
    }
    const network = this.find(mode);
    if (network.driver !== 'bridge') throw new InvalidArgumentError(`network ${network.name} cannot be used with other networks`);
    const attachment = spec.networkAttachment ?? { aliases: [], ipv4Address: '' };
    return { [network.id]: { name: network.name, aliases: attachment.aliases, ipv4Address: attachment.ipv4Address } };
  }

  // Prepares networking for a start: the namespace, endpoints on every joined network, published ports.
  async setUp(record: ContainerRecord, image: ImageRecord): Promise<NetworkSetup> {
    const mode = normalizeNetworkMode(record.spec.networkMode);
    const fileOptions = { networkMode: mode, hostname: containerHostname(record), domainname: record.spec.domainname, extraHosts: record.spec.extraHosts ?? [] };
    const resolvOptions = this.resolvOptions(record, mode);
    if (!usesSandbox(mode)) {
      return {
        networkNamespacePath: null,
        ipAddress: null,
        hostsContent: await this.networks.hostsFile(record.id, fileOptions),
        resolvConfContent: await this.networks.resolvConf(record.id, resolvOptions),
      };
    }

    const netnsPath = await this.networks.prepareSandbox(record.id);
    try {
      let primaryAddress: string | null = null;
      for (const [networkId, attachment] of Object.entries(record.networks ?? {})) {
        const endpoint = await this.networks.connect(record.id, networkId, {
          name: record.name,
          aliases: attachment.aliases,
          ipAddress: attachment.ipv4Address || undefined,
          hostname: containerHostname(record),
        });
        primaryAddress ??= endpoint.ipAddress;
      }
      const ports = this.portsToPublish(record, image);
      if (ports.length > 0) await this.networks.publish(record.id, ports);
      return {
        networkNamespacePath: netnsPath,
        ipAddress: primaryAddress,
        hostsContent: await this.networks.hostsFile(record.id, fileOptions),
        resolvConfContent: await this.networks.resolvConf(record.id, resolvOptions),
      };
    } catch (error) {
      await this.tearDown(record.id);
      throw error;
    }
  }

  // Releases the namespace, endpoints and ports of a container that stopped; safe to call twice.
  async tearDown(containerId: string): Promise<void> {
    try {
      await this.networks.releaseSandbox(containerId);
    } catch (error) {
      this.logger.error({ container: containerId, err: error }, 'releasing container networking failed');
    }
  }

  // Joins a network: at once when the container runs, at its next start otherwise.
  async connect(record: ContainerRecord, networkIdOrName: string, attachment: NetworkAttachment, running: boolean): Promise<void> {
    const mode = normalizeNetworkMode(record.spec.networkMode);
    if (!usesSandbox(mode)) {
      throw new InvalidArgumentError(`container cannot be connected to network ${networkIdOrName}: it uses network mode ${mode}`);
    }
    const network = this.find(networkIdOrName);
    if (network.driver !== 'bridge') throw new InvalidArgumentError(`container cannot be connected to the ${network.name} network`);
    if (record.networks?.[network.id]) {
      throw new InvalidArgumentError(`endpoint with name ${record.name} already exists in network ${network.name}`);
    }
    if (running) {
      await this.networks.connect(record.id, network.id, {
        name: record.name,
        aliases: attachment.aliases,
        ipAddress: attachment.ipv4Address || undefined,
        hostname: containerHostname(record),
      });
    }
    record.networks = { ...(record.networks ?? {}), [network.id]: { name: network.name, ...attachment } };
  }

  async disconnect(record: ContainerRecord, networkIdOrName: string, running: boolean, force: boolean): Promise<void> {
    const network = this.find(networkIdOrName);
    if (!record.networks?.[network.id]) {
      if (force) return;
      throw new InvalidArgumentError(`container ${record.id} is not connected to network ${network.name}`);
    }
    if (running) await this.networks.disconnect(record.id, network.id, force);
    const remaining = { ...record.networks };
    delete remaining[network.id];
    record.networks = remaining;
  }

  state(record: ContainerRecord, image: ImageRecord | null): ContainerNetworkState {
    const mode = normalizeNetworkMode(record.spec.networkMode);
    const exposedPorts = [...new Set([...Object.keys(image?.config.config?.ExposedPorts ?? {}), ...record.spec.exposedPorts])];
    if (!usesSandbox(mode)) {
      const network = this.networks.list().find((candidate) => candidate.name === mode);
      return {
        networks: network ? [{ networkId: network.id, networkName: network.name, aliases: [], requestedIpv4Address: '', endpoint: null }] : [],
        ports: [],
        exposedPorts,
      };
    }
    const networks = Object.entries(record.networks ?? {}).map(([networkId, attachment]) => {
      let endpoint = null;
      try {
        endpoint = this.networks.get(networkId).endpoints[record.id] ?? null;
      } catch {
        // The network was removed with force; the container shows it without an endpoint.
      }
      return { networkId, networkName: attachment.name, aliases: attachment.aliases, requestedIpv4Address: attachment.ipv4Address, endpoint };
    });
    return { networks, ports: this.networks.ports(record.id), exposedPorts };
  }

  private find(idOrName: string) {
    try {
      return this.networks.get(idOrName);
    } catch (error) {
      throw new NotFoundError(`network ${idOrName} not found`, { cause: error });
    }
  }

  private resolvOptions(record: ContainerRecord, mode: string) {
    return {
      networkMode: mode,
      dns: record.spec.dns?.length ? record.spec.dns : this.config.dns,
      dnsSearch: record.spec.dnsSearch?.length ? record.spec.dnsSearch : this.config.dnsSearch,
      dnsOptions: record.spec.dnsOptions?.length ? record.spec.dnsOptions : this.config.dnsOptions,
    };
  }

  // The -p requests plus, with -P, every exposed port on a free host port.
  private portsToPublish(record: ContainerRecord, image: ImageRecord): (PortSpec & { hostPortEnd: number })[] {
    const specs: (PortSpec & { hostPortEnd: number })[] = [...(record.spec.portBindings ?? [])];
    if (record.spec.publishAllPorts) {
      const exposed = [...Object.keys(image.config.config?.ExposedPorts ?? {}), ...record.spec.exposedPorts];
      for (const entry of new Set(exposed)) {
        const [port, protocol = 'tcp'] = entry.split('/');
        const containerPort = Number(port);
        if (!Number.isInteger(containerPort) || (protocol !== 'tcp' && protocol !== 'udp')) {
          this.logger.warn({ container: record.id, port: entry }, 'skipping an exposed port that cannot be published');
          continue;
        }
        if (specs.some((spec) => spec.containerPort === containerPort && spec.protocol === protocol)) continue;
        specs.push({ hostIp: '', hostPort: 0, hostPortEnd: 0, containerPort, protocol });
      }
    }
    return specs;
  }
}
