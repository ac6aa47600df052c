// NetworkingConfig.EndpointsConfig of a create request, from --network,
// --network-alias and --ip, in the form the docker CLI sends it.
import type { FlagValues } from '../flags';

// docker sends an endpoint for the default network, and for a network named with --network only
// when the endpoint has settings (aliases or an address).
export function endpointsConfig(flags: FlagValues, networkMode: string, emptyEndpoint: Record<string, unknown>): Record<string, unknown> {
  const aliases = [...flags.list('network-alias'), ...flags.list('net-alias')];
  const address = flags.string('ip');
  const named = flags.isSet('network') || flags.isSet('net');
  if (named && aliases.length === 0 && address === '') return {};

  const endpoint: Record<string, unknown> = { ...emptyEndpoint };
  if (aliases.length > 0) endpoint.Aliases = aliases;
  if (address !== '') endpoint.IPAMConfig = { IPv4Address: address };
  return { [networkMode]: endpoint };
}
