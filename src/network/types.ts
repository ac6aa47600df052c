// Records and options of Berth's network module: networks, their endpoints,
// container sandboxes (network namespaces) and published ports.

export type NetworkDriver = 'bridge' | 'host' | 'null';

export interface IpamSettings {
  subnet: string;
  gateway: string;
  // Sub-range of subnet that container addresses come from; the whole subnet when absent.
  ipRange: string | null;
  // True when the user gave --subnet; Docker allows --ip only on such networks.
  userSubnet: boolean;
}

export interface EndpointRecord {
  endpointId: string;
  containerId: string;
  networkId: string;
  // Container name without the leading slash, resolvable through the embedded DNS on user networks.
  name: string;
  aliases: string[];
  ipAddress: string;
  prefixLength: number;
  gateway: string;
  macAddress: string;
  // Host end of the veth pair, attached to the network's bridge.
  hostInterface: string;
  // Name of the container end inside the sandbox: eth0, eth1, ...
  containerInterface: string;
  // True when the sandbox's default route goes through this endpoint's gateway.
  defaultRoute: boolean;
}

export interface NetworkRecord {
  id: string;
  name: string;
  driver: NetworkDriver;
  // ISO 8601 creation time.
  created: string;
  internal: boolean;
  attachable: boolean;
  labels: Record<string, string>;
  // Driver options as given (com.docker.network.bridge.name, com.docker.network.driver.mtu, ...).
  options: Record<string, string>;
  // Null for the host and none networks, which assign no addresses.
  ipam: IpamSettings | null;
  bridgeName: string | null;
  mtu: number;
  // Inter-container communication on the bridge (com.docker.network.bridge.enable_icc).
  icc: boolean;
  // The predefined bridge, host and none networks, which cannot be removed.
  builtIn: boolean;
  // Allocated container addresses: address -> endpoint ID.
  allocations: Record<string, string>;
  // Last address handed out; allocation continues after it, so a released address is not reused at once.
  lastAllocated: string | null;
  // Endpoints keyed by container ID.
  endpoints: Record<string, EndpointRecord>;
}

export interface CreateNetworkOptions {
  name: string;
  driver?: string;
  subnet?: string;
  gateway?: string;
  ipRange?: string;
  internal?: boolean;
  attachable?: boolean;
  labels?: Record<string, string>;
  options?: Record<string, string>;
}

export type PortProtocol = 'tcp' | 'udp';

// One requested port mapping. hostPort 0 requests a free port chosen by Berth.
export interface PortSpec {
  hostIp: string;
  hostPort: number;
  containerPort: number;
  protocol: PortProtocol;
}

// A mapping in force: host address and port DNATed to the container's address and port.
export interface PortBinding extends PortSpec {
  containerIp: string;
  networkId: string;
}

export interface SandboxRecord {
  containerId: string;
  // Bind-mounted network namespace file that runc joins through the spec's network namespace path.
  netnsPath: string;
  ports: PortBinding[];
}

export interface ConnectOptions {
  name: string;
  aliases?: string[];
  // Requested address; Docker allows it only on networks created with --subnet.
  ipAddress?: string;
  hostname?: string;
}

export interface EndpointSummary {
  endpointId: string;
  networkId: string;
  ipAddress: string;
  prefixLength: number;
  gateway: string;
  macAddress: string;
}

export interface AddressPool {
  // Range to split, such as 10.210.0.0/16.
  base: string;
  // Prefix length of each network taken from base, such as 24.
  size: number;
}
