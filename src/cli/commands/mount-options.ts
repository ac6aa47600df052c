// Parsing of -v/--volume and --mount into the API's Binds, Volumes and Mounts,
// following the docker CLI: -v with a source becomes a bind string, -v with
// only a target is an anonymous volume, and --mount is a CSV list of
// key=value fields (type defaults to volume).
import path from 'node:path';
import { parseGoBool } from '../flags';
import { parseRamBytes } from '../format/units';

export interface ApiMount {
  Type: string;
  Source?: string;
  Target: string;
  ReadOnly?: boolean;
  Consistency?: string;
  BindOptions?: { Propagation?: string; NonRecursive?: boolean };
  VolumeOptions?: { NoCopy?: boolean; Labels?: Record<string, string>; DriverConfig?: { Name?: string; Options?: Record<string, string> }; Subpath?: string };
  TmpfsOptions?: { SizeBytes?: number; Mode?: number };
}

// Splits one CSV record as Go's encoding/csv does: commas separate fields, double quotes group and "" escapes a quote.
export function splitCsv(value: string): string[] {
  const fields: string[] = [];
  let field = '';
  let quoted = false;
  let fieldStart = true;
  for (let i = 0; i < value.length; i++) {
    const character = value[i];
    if (quoted) {
      if (character === '"' && value[i + 1] === '"') {
        field += '"';
        i++;
      } else if (character === '"') {
        quoted = false;
      } else {
        field += character;
      }
      continue;
    }
    if (character === '"' && fieldStart) {
      quoted = true;
      fieldStart = false;
    } else if (character === ',') {
      fields.push(field);
      field = '';
      fieldStart = true;
    } else {
      field += character;
      fieldStart = false;
    }
  }
  if (quoted) throw new Error(`extraneous or missing " in quoted-field`);
  fields.push(field);
  return fields;
}

function setMapEntry(target: Record<string, string>, value: string): void {
  const equals = value.indexOf('=');
  const key = equals === -1 ? value : value.slice(0, equals);
  if (key !== '') target[key] = equals === -1 ? '' : value.slice(equals + 1);
}

// Parses one --mount value. Throws with docker's message for an invalid field.
export function parseMount(value: string, cwd = process.cwd()): ApiMount {
  const mount: ApiMount = { Type: 'volume', Target: '' };
  // Like docker, any volume-* field creates VolumeOptions with an empty DriverConfig.
  const volumeOptions = () => (mount.VolumeOptions ??= { DriverConfig: {} });
  const bindOptions = () => (mount.BindOptions ??= {});
  const tmpfsOptions = () => (mount.TmpfsOptions ??= {});

  for (const field of splitCsv(value)) {
    const equals = field.indexOf('=');
    const key = (equals === -1 ? field : field.slice(0, equals)).toLowerCase();
    const fieldValue = equals === -1 ? '' : field.slice(equals + 1);

    if (equals === -1) {
      if (key === 'readonly' || key === 'ro') mount.ReadOnly = true;
      else if (key === 'volume-nocopy') volumeOptions().NoCopy = true;
      else if (key === 'bind-nonrecursive') bindOptions().NonRecursive = true;
      else throw new Error(`invalid field '${field}' must be a key=value pair`);
      continue;
    }

    switch (key) {
      case 'type':
        mount.Type = fieldValue.toLowerCase();
        break;
      case 'source':
      case 'src':
        mount.Source = fieldValue === '.' || fieldValue.startsWith('./') ? path.resolve(cwd, fieldValue) : fieldValue;
        break;
      case 'target':
      case 'dst':
      case 'destination':
        mount.Target = fieldValue;
        break;
      case 'readonly':
      case 'ro':
        mount.ReadOnly = parseBoolField(key, fieldValue);
        break;
      case 'consistency':
        mount.Consistency = fieldValue.toLowerCase();
        break;
      case 'bind-propagation':
        bindOptions().Propagation = fieldValue.toLowerCase();
        break;
      case 'bind-nonrecursive':
        bindOptions().NonRecursive = parseBoolField(key, fieldValue);
        break;
      case 'volume-driver':
        (volumeOptions().DriverConfig ??= {}).Name = fieldValue;
        break;
      case 'volume-label':
        setMapEntry((volumeOptions().Labels ??= {}), fieldValue);
        break;
      case 'volume-opt':
        setMapEntry(((volumeOptions().DriverConfig ??= {}).Options ??= {}), fieldValue);
        break;
      case 'volume-nocopy':
        volumeOptions().NoCopy = parseBoolField(key, fieldValue);
        break;
      case 'volume-subpath':
        volumeOptions().Subpath = fieldValue;
        break;
      case 'tmpfs-size':
        try {
          tmpfsOptions().SizeBytes = parseRamBytes(fieldValue);
        } catch {
          throw new Error(`invalid value for ${key}: ${fieldValue}`);
        }
        break;
      case 'tmpfs-mode':
        if (!/^[0-7]+$/.test(fieldValue)) throw new Error(`invalid value for ${key}: ${fieldValue}`);
        tmpfsOptions().Mode = parseInt(fieldValue, 8);
        break;
      default:
        throw new Error(`unexpected key '${key}' in '${field}'`);
    }
  }

  if (mount.Type === '') throw new Error('type is required');
  if (mount.Target === '') throw new Error('target is required');
  if (mount.VolumeOptions && mount.Type !== 'volume') throw new Error(`cannot mix 'volume-*' options with mount type '${mount.Type}'`);
  if (mount.BindOptions && mount.Type !== 'bind') throw new Error(`cannot mix 'bind-*' options with mount type '${mount.Type}'`);
  if (mount.TmpfsOptions && mount.Type !== 'tmpfs') throw new Error(`cannot mix 'tmpfs-*' options with mount type '${mount.Type}'`);
  return mount;
}

function parseBoolField(key: string, value: string): boolean {
  try {
    return parseGoBool(value);
  } catch {
    throw new Error(`invalid value for ${key}: ${value}`);
  }
}

export interface VolumeSettings {
  binds: string[];
  // Targets of anonymous volumes (-v /data), sent as Config.Volumes.
  anonymous: string[];
}

// Sorts -v values into bind strings and anonymous volumes. A relative host
// path starting with "." is made absolute, as the docker CLI does.
export function parseVolumeFlags(values: string[], cwd = process.cwd()): VolumeSettings {
  const settings: VolumeSettings = { binds: [], anonymous: [] };
  for (const value of values) {
    const colon = value.indexOf(':');
    if (colon === -1) {
      settings.anonymous.push(value);
      continue;
    }
    let source = value.slice(0, colon);
    if (!path.isAbsolute(source) && source.startsWith('.')) source = path.resolve(cwd, source);
    settings.binds.push(`${source}${value.slice(colon)}`);
  }
  return settings;
}
