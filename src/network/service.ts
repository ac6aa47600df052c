// The network module's facade for the engine: networks (bridge, host, none and
// user bridges), container sandboxes, endpoints, published ports and the
// embedded DNS. Every change is persisted first and then applied to the kernel,
// and init() re-applies the persisted state after a daemon restart.
import fs from 'node:fs/promises';
import path from 'node:path';
import { ForbiddenError, InvalidArgumentError, NotFoundError, errorMessage } from '../common/errors';
import { KeyedLock } from '../common/keyed-lock';
import { subsystemLogger } from '../common/logger';
import { attachToBridge, createEndpoint, ensureBridge, removeBridge, removeEndpoint, setDefaultRoute } from './bridge/bridge-driver';
import { ipJson, readHostRoutes, type LinkInfo } from './bridge/iproute';
import { BackgroundLinkDeleter } from './bridge/link-deleter';
import { createNetns, isNetnsMounted, removeNetns } from './bridge/netns';
import { parseCidr } from './cidr';
import { buildRecords } from './dns/records';
import { ResolverSupervisor } from './dns/supervisor';
import { Firewall } from './firewall/firewall';
import { firewallState } from './firewall/rules';
import { DEFAULT_ADDRESS_POOLS, releaseAddress } from './ipam';
import { newEndpointRecord, summarizeEndpoint } from './endpoint-record';
import { newNetworkRecord } from './network-record';
import { containerHostsFile, containerResolvConf, type HostsFileOptions, type NetworkView, type ResolvConfFileOptions } from './container-files';
import { choosePorts } from './ports';
import { NetworkStore } from './store';
import type { AddressPool, ConnectOptions, CreateNetworkOptions, EndpointRecord, EndpointSummary, NetworkRecord, PortBinding, PortSpec, SandboxRecord } from './types';

const log = subsystemLogger('network');

export interface NetworkServiceOptions {
  instance: string;
  // Persistent state directory, such as <dataRoot>/network.
  stateRoot: string;
  // Runtime directory, such as <runRoot>/network: namespace files and the resolver's files.
  runRoot: string;
  addressPools?: AddressPool[];
  // Default MTU of new bridges, in bytes.
  mtu?: number;
  // Servers the embedded resolver forwards other names to, as "address" or "address:port".
  dnsUpstreams: string[];
}

const BUILT_IN = [
  { name: 'bridge', driver: 'bridge' },
  { name: 'host', driver: 'host' },
  { name: 'none', driver: 'null' },
] as const;

export class NetworkService {
  private readonly store: NetworkStore;
  private readonly firewall: Firewall;
  private readonly resolver: ResolverSupervisor;
  private readonly linkDeleter = new BackgroundLinkDeleter();
  // One lock for every change, because a change touches several records and the shared firewall rules.
  private readonly lock = new KeyedLock();
  private readonly pools: AddressPool[];
  private readonly mtu: number;

  constructor(private readonly options: NetworkServiceOptions) {
    this.store = new NetworkStore(options.stateRoot);
    this.firewall = new Firewall(options.instance);
    this.resolver = new ResolverSupervisor(path.join(options.runRoot, 'dns'));
    this.pools = options.addressPools ?? [...DEFAULT_ADDRESS_POOLS];
    this.mtu = options.mtu ?? 1500;
  }

  // Builds /etc/hosts for the container (see container-files.ts).
  async hostsFile(containerId: string, options: HostsFileOptions): Promise<string> {
    return containerHostsFile(this.networkView(), containerId, options);
  }

  // Builds /etc/resolv.conf for the container (see container-files.ts).
  async resolvConf(containerId: string, options: ResolvConfFileOptions): Promise<string> {
    return containerResolvConf(this.networkView(), containerId, options);
  }

  private networkView(): NetworkView {
    return { findNetwork: (idOrName) => this.store.findNetwork(idOrName), endpointsOf: (containerId) => this.endpointsOf(containerId) };
  }

  get chainNames() {
    return this.firewall.chains;
  }

  // Creates the built-in networks on first use and re-creates bridges, firewall
  // rules and the resolver from the stored state; running it again changes nothing.
  async init(): Promise<void> {
    await this.lock.run('state', async () => {
      await this.store.load();
      for (const builtIn of BUILT_IN) {
        if (!this.store.findNetwork(builtIn.name)) {
          await this.createRecord({ name: builtIn.name, driver: builtIn.driver }, true);
        }
      }
      for (const network of this.bridgeNetworks()) await this.ensureBridgeOf(network);
      await this.dropStaleSandboxes();
      await this.restoreEndpoints();
      await this.applyFirewall();
      await this.updateResolver();
    });
  }

  async create(options: CreateNetworkOptions): Promise<NetworkRecord> {
    return this.lock.run('state', async () => {
      const record = await this.createRecord(options, false);
      if (record.driver === 'bridge') {
        try {
          await this.ensureBridgeOf(record);
          await this.applyFirewall();
        } catch (error) {
          await this.undoCreate(record);
          throw new Error(`create network ${record.name}: ${errorMessage(error)}`, { cause: error });
        }
      }
      await this.updateResolver();
      return record;
    });
  }

  list(): NetworkRecord[] {
    return this.store.listNetworks();
  }

  get(idOrName: string): NetworkRecord {
    const network = this.store.findNetwork(idOrName);
    if (!network) throw new NotFoundError(`network ${idOrName} not found`);
    return network;
  }

  async remove(idOrName: string): Promise<void> {
    await this.lock.run('state', async () => {
      const network = this.get(idOrName);
      if (network.builtIn) throw new ForbiddenError(`${network.name} is a pre-defined network and cannot be removed`);
      if (Object.keys(network.endpoints).length > 0) {
        throw new ForbiddenError(`error while removing network: network ${network.name} id ${network.id} has active endpoints`);
      }
      await this.store.deleteNetwork(network.id);
      await this.linkDeleter.settled();
      if (network.bridgeName) await removeBridge(network.bridgeName);
      await this.applyFirewall();
      await this.updateResolver();
    });
  }

  // Removes every user network without endpoints; returns the removed names.
  async prune(): Promise<string[]> {
    const removed: string[] = [];
    for (const network of this.list()) {
      if (network.builtIn || Object.keys(network.endpoints).length > 0) continue;
      await this.remove(network.id);
      removed.push(network.name);
    }
    return removed;
  }

  // Creates the container's network namespace, bind-mounted at the returned path,
  // for runc to join through the spec's { type: "network", path } entry.
  async prepareSandbox(containerId: string): Promise<string> {
    return this.lock.run('state', async () => {
      const existing = this.store.getSandbox(containerId);
      const netnsPath = existing?.netnsPath ?? path.join(this.options.runRoot, 'netns', containerId);
      await createNetns(netnsPath);
      if (!existing) await this.store.saveSandbox({ containerId, netnsPath, ports: [] });
      return netnsPath;
    });
  }

  async connect(containerId: string, networkIdOrName: string, options: ConnectOptions): Promise<EndpointSummary> {
    return this.lock.run('state', async () => {
      const sandbox = this.requireSandbox(containerId);
      const network = this.get(networkIdOrName);
      const ownEndpoints = this.endpointsOf(containerId);
      const { endpoint, bridge, defaultGateway } = newEndpointRecord(network, containerId, options, ownEndpoints);
      const ipAddress = endpoint.ipAddress;

      network.endpoints[containerId] = endpoint;
      await this.store.saveNetwork(network);
      // The resolver learns the name while the kernel objects are made; the container starts only after both.
      // The catch handler is attached at once, so a failure is not reported as an unhandled rejection.
      const resolverUpdate = this.updateResolver().then(
        () => null,
        (resolverError: unknown) => resolverError,
      );
      try {
        await createEndpoint({
          bridge,
          netnsPath: sandbox.netnsPath,
          hostInterface: endpoint.hostInterface,
          containerInterface: endpoint.containerInterface,
          ipAddress,
          prefixLength: endpoint.prefixLength,
          macAddress: endpoint.macAddress,
          mtu: network.mtu,
          defaultGateway,
        });
      } catch (error) {
        const resolverError = await resolverUpdate;
        if (resolverError) log.error({ err: resolverError, container: containerId, network: network.id }, 'update resolver during a failed connect');
        delete network.endpoints[containerId];
        releaseAddress(network, ipAddress);
        await this.store.saveNetwork(network);
        // The resolver may already have the name, so it gets the records without it.
        await this.updateResolver().catch((undoError: unknown) => {
          log.error({ err: undoError, container: containerId, network: network.id }, 'remove name from resolver after a failed connect');
        });
        throw new Error(`connect container ${containerId} to network ${network.name}: ${errorMessage(error)}`, { cause: error });
      }
      const resolverError = await resolverUpdate;
      if (resolverError) throw resolverError;
      log.info({ container: containerId, network: network.id, address: ipAddress }, 'connected container to network');
      return summarizeEndpoint(endpoint);
    });
  }

  async disconnect(containerId: string, networkIdOrName: string, force = false): Promise<void> {
    await this.lock.run('state', async () => {
      const network = this.get(networkIdOrName);
      const endpoint = network.endpoints[containerId];
      if (!endpoint) throw new NotFoundError(`container ${containerId} is not connected to network ${network.name}`);
      await this.dropEndpoint(network, endpoint, force);
      if (endpoint.defaultRoute) await this.moveDefaultRoute(containerId);

      const sandbox = this.store.getSandbox(containerId);
      if (sandbox && sandbox.ports.some((port) => port.networkId === network.id)) {
        sandbox.ports = sandbox.ports.filter((port) => port.networkId !== network.id);
        await this.store.saveSandbox(sandbox);
      }
      await this.applyFirewall();
      await this.updateResolver();
    });
  }

  // Publishes ports of a connected container; returns the bindings with the chosen host ports.
  async publish(containerId: string, specs: readonly (PortSpec & { hostPortEnd?: number })[]): Promise<PortBinding[]> {
    return this.lock.run('state', async () => {
      const sandbox = this.requireSandbox(containerId);
      const endpoint = this.endpointsOf(containerId).find((own) => !this.get(own.networkId).internal);
      if (!endpoint) throw new InvalidArgumentError(`publish ports of container ${containerId}: it has no endpoint on a non-internal bridge network`);

      const published = this.store.listSandboxes().flatMap((other) => other.ports);
      const requests = specs.map((spec) => ({ ...spec, hostPortEnd: spec.hostPortEnd ?? spec.hostPort }));
      const chosen = await choosePorts(requests, published);
      const bindings = chosen.map((port) => ({ ...port, containerIp: endpoint.ipAddress, networkId: endpoint.networkId }));
      sandbox.ports.push(...bindings);
      await this.store.saveSandbox(sandbox);
      await this.applyFirewall();
      return bindings;
    });
  }

  ports(containerId: string): PortBinding[] {
    return this.store.getSandbox(containerId)?.ports ?? [];
  }

  // Removes the container's endpoints, published ports and namespace. The veth
  // pairs are deleted in the background (see bridge/link-deleter.ts).
  async releaseSandbox(containerId: string): Promise<void> {
    await this.lock.run('state', async () => {
      await this.releaseSandboxLocked(containerId);
      await Promise.all([this.applyFirewall(), this.updateResolver()]);
    });
  }

  // Removes every kernel object and process of this instance's networking:
  // sandboxes, bridges, firewall chains and the resolver. The stored networks stay.
  async teardown(): Promise<void> {
    await this.lock.run('state', async () => {
      for (const sandbox of this.store.listSandboxes()) await this.releaseSandboxLocked(sandbox.containerId);
      await this.linkDeleter.settled();
      for (const network of this.bridgeNetworks()) await removeBridge(network.bridgeName as string);
      await this.firewall.remove();
      await this.resolver.stop();
    });
  }

  // Returns the PID of the instance's resolver process, or null when it does not run.
  async resolverPid(): Promise<number | null> {
    return this.resolver.runningPid();
  }

  // Each step can be repeated after a crash, so the records and the namespace are released at
  // the same time. The sandbox record goes last, because a restart releases what it still lists.
  private async releaseSandboxLocked(containerId: string): Promise<void> {
    const sandbox = this.store.getSandbox(containerId);
    const steps: Promise<void>[] = [];
    for (const network of this.list()) {
      const endpoint = network.endpoints[containerId];
      if (!endpoint) continue;
      this.linkDeleter.delete(endpoint.hostInterface, { container: containerId, network: network.id });
      steps.push(this.forgetEndpoint(network, endpoint));
    }
    if (sandbox) steps.push(removeNetns(sandbox.netnsPath));
    const failure = (await Promise.allSettled(steps)).find((result) => result.status === 'rejected');
    if (failure) throw failure.reason;
    if (sandbox) await this.store.deleteSandbox(containerId);
  }

  // Gives the default route to another endpoint on a non-internal network, once the one that had it is gone.
  private async moveDefaultRoute(containerId: string): Promise<void> {
    const sandbox = this.store.getSandbox(containerId);
    const successor = this.endpointsOf(containerId).find((own) => !this.get(own.networkId).internal);
    if (!sandbox || !successor) return;
    await setDefaultRoute(sandbox.netnsPath, successor.gateway, successor.containerInterface);
    const network = this.get(successor.networkId);
    network.endpoints[containerId] = { ...successor, defaultRoute: true };
    await this.store.saveNetwork(network);
  }

  private async dropEndpoint(network: NetworkRecord, endpoint: EndpointRecord, force: boolean): Promise<void> {
    try {
      await removeEndpoint(endpoint.hostInterface);
    } catch (error) {
      if (!force) throw new Error(`disconnect container ${endpoint.containerId} from network ${network.name}: ${errorMessage(error)}`, { cause: error });
      log.error({ err: error, container: endpoint.containerId, network: network.id }, 'delete veth of endpoint failed; dropping the record anyway');
    }
    await this.forgetEndpoint(network, endpoint);
  }

  private async forgetEndpoint(network: NetworkRecord, endpoint: EndpointRecord): Promise<void> {
    delete network.endpoints[endpoint.containerId];
    releaseAddress(network, endpoint.ipAddress);
    await this.store.saveNetwork(network);
  }

  private async createRecord(options: CreateNetworkOptions, builtIn: boolean): Promise<NetworkRecord> {
    const record = newNetworkRecord(options, {
      builtIn,
      instance: this.options.instance,
      existing: this.store.listNetworks(),
      hostRoutes: await readHostRoutes(),
      pools: this.pools,
      mtu: this.mtu,
    });
    await this.store.saveNetwork(record);
    log.info({ network: record.id, name: record.name, subnet: record.ipam?.subnet }, 'created network');
    return record;
  }

  private async undoCreate(record: NetworkRecord): Promise<void> {
    try {
      await this.store.deleteNetwork(record.id);
      if (record.bridgeName) await removeBridge(record.bridgeName);
    } catch (error) {
      log.error({ err: error, network: record.id }, 'undo a failed network creation');
    }
  }

  private async ensureBridgeOf(network: NetworkRecord): Promise<void> {
    const ipam = network.ipam as NonNullable<NetworkRecord['ipam']>;
    await ensureBridge({ name: network.bridgeName as string, gatewayCidr: `${ipam.gateway}/${parseCidr(ipam.subnet).prefixLength}`, mtu: network.mtu });
  }

  // After a reboot the namespace files are gone: forget their endpoints and ports.
  private async dropStaleSandboxes(): Promise<void> {
    for (const sandbox of this.store.listSandboxes()) {
      if (await isNetnsMounted(sandbox.netnsPath)) continue;
      log.warn({ container: sandbox.containerId, netns: sandbox.netnsPath }, 'namespace of sandbox is gone; releasing its endpoints');
      await this.releaseSandboxLocked(sandbox.containerId);
    }
    await fs.mkdir(path.join(this.options.runRoot, 'netns'), { recursive: true, mode: 0o700 });
  }

  // Puts the endpoints of running containers back on their bridges. A bridge deleted
  // while berthd was down comes back empty from ensureBridgeOf, and its former ports
  // stay detached until this re-attaches them. A missing veth pair is created again.
  private async restoreEndpoints(): Promise<void> {
    const links = new Map((await ipJson<LinkInfo[]>(['link', 'show'])).map((link) => [link.ifname, link]));
    for (const sandbox of this.store.listSandboxes()) {
      for (const endpoint of this.endpointsOf(sandbox.containerId)) {
        const network = this.get(endpoint.networkId);
        const bridge = network.bridgeName;
        const link = links.get(endpoint.hostInterface);
        if (!bridge || link?.master === bridge) continue;

        const ids = { container: sandbox.containerId, network: network.id, interface: endpoint.hostInterface };
        try {
          if (link) {
            await attachToBridge(endpoint.hostInterface, bridge);
          } else {
            await createEndpoint({
              bridge,
              netnsPath: sandbox.netnsPath,
              hostInterface: endpoint.hostInterface,
              containerInterface: endpoint.containerInterface,
              ipAddress: endpoint.ipAddress,
              prefixLength: endpoint.prefixLength,
              macAddress: endpoint.macAddress,
              mtu: network.mtu,
              defaultGateway: endpoint.defaultRoute ? endpoint.gateway : null,
            });
          }
          log.warn({ ...ids, bridge, recreated: !link }, 'restored endpoint of a running container');
        } catch (error) {
          log.error({ ...ids, err: error }, 'restore endpoint of a running container failed, so the container stays cut off from the network');
        }
      }
    }
  }

  private bridgeNetworks(): NetworkRecord[] {
    return this.store.listNetworks().filter((network) => network.driver === 'bridge' && network.bridgeName && network.ipam);
  }

  private endpointsOf(containerId: string): EndpointRecord[] {
    return this.list().flatMap((network) => (network.endpoints[containerId] ? [network.endpoints[containerId]] : []));
  }

  private requireSandbox(containerId: string): SandboxRecord {
    const sandbox = this.store.getSandbox(containerId);
    if (!sandbox) throw new NotFoundError(`network sandbox of container ${containerId} not found: call prepareSandbox first`);
    return sandbox;
  }

  private async applyFirewall(): Promise<void> {
    await this.firewall.apply(firewallState(this.bridgeNetworks(), this.store.listSandboxes()));
  }

  private async updateResolver(): Promise<void> {
    await this.resolver.writeRecords(buildRecords(this.list(), this.options.dnsUpstreams));
    await this.resolver.ensureRunning();
  }
}
