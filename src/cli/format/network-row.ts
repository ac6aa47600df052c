// The row of `berth network ls`, with the fields of docker's network
// format context: ID, Name, Driver, Scope, IPv6, Internal, Labels, CreatedAt.
import { escapeJsonHtml, type JsonMarshaler } from './template-functions';
import { goTimeString } from './units';

// The fields of GET /networks that the list uses.
export interface ApiNetwork {
  Id: string;
  Name: string;
  Driver: string;
  Scope?: string;
  Created?: string;
  EnableIPv6?: boolean;
  Internal?: boolean;
  Labels?: Record<string, string> | null;
}

export const NETWORK_HEADERS: Record<string, string> = {
  ID: 'NETWORK ID',
  Name: 'NAME',
  Driver: 'DRIVER',
  Scope: 'SCOPE',
  IPv6: 'IPV6',
  Internal: 'INTERNAL',
  Labels: 'LABELS',
  CreatedAt: 'CREATED AT',
};

export const DEFAULT_NETWORK_TABLE = 'table {{.ID}}\t{{.Name}}\t{{.Driver}}\t{{.Scope}}';

export class NetworkRow implements JsonMarshaler {
  readonly templateTypeName = '*formatter.networkContext';

  constructor(
    private readonly network: ApiNetwork,
    private readonly truncate: boolean,
  ) {}

  ID(): string {
    return this.truncate ? this.network.Id.slice(0, 12) : this.network.Id;
  }

  Name(): string {
    return this.network.Name;
  }

  Driver(): string {
    return this.network.Driver;
  }

  Scope(): string {
    return this.network.Scope ?? 'local';
  }

  IPv6(): string {
    return String(this.network.EnableIPv6 ?? false);
  }

  Internal(): string {
    return String(this.network.Internal ?? false);
  }

  Labels(): string {
    return Object.entries(this.network.Labels ?? {})
      .map(([key, value]) => `${key}=${value}`)
      .sort()
      .join(',');
  }

  Label(name: string): string {
    return this.network.Labels?.[name] ?? '';
  }

  CreatedAt(): string {
    const created = Date.parse(this.network.Created ?? '');
    return Number.isNaN(created) ? '' : goTimeString(Math.floor(created / 1000));
  }

  // Go marshals the context's fields sorted by name, as docker's formatter does.
  toTemplateJson(): string {
    const record: Record<string, string> = {};
    for (const field of Object.keys(NETWORK_HEADERS).sort()) record[field] = (this as unknown as Record<string, () => string>)[field].call(this);
    return escapeJsonHtml(JSON.stringify(record));
  }
}
