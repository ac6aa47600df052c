// Byte-exact PAX extended attribute records for tar-stream.
//
// GNU tar and Docker store an extended attribute as the PAX record
// "SCHILY.xattr.<name>=<raw bytes>". tar-stream 3 decodes every PAX value as
// UTF-8, which replaces bytes that are not valid UTF-8 (a file capability
// such as cap_setfcap contains 0x80), so the value it hands out can be wrong.
// This module decodes the same header block again from its raw bytes and
// attaches the attributes to the PAX object that tar-stream gives the entry.
import type { Extract, Header } from 'tar-stream';

const XATTR_PREFIX = 'SCHILY.xattr.';
const RAW_XATTRS = Symbol('berth.rawXattrs');

// The parts of tar-stream's Extract internals this module wraps (tar-stream 3.x).
interface ExtractInternals {
  _decodeLongHeader(buffer: Buffer): void;
  _header: { type: string } | null;
  _pax: Record<string | symbol, unknown> | null;
  _paxGlobal: Record<string | symbol, unknown> | null;
}

// Makes the extract keep raw attribute values; read them with entryXattrs(header).
export function captureRawXattrs(extract: Extract): void {
  const internals = extract as unknown as ExtractInternals;
  const original = internals._decodeLongHeader;
  if (typeof original !== 'function') {
    throw new Error('tar-stream internals changed: Extract._decodeLongHeader is missing, so PAX xattrs cannot be read byte-exact');
  }

  internals._decodeLongHeader = function decodeWithRawXattrs(this: ExtractInternals, buffer: Buffer): void {
    original.call(this, buffer);
    const type = this._header?.type;
    const target = type === 'pax-header' ? this._pax : type === 'pax-global-header' ? this._paxGlobal : null;
    if (!target) return;

    // A global header's attributes are copied into later per-file headers by
    // Object.assign, which copies symbol keys too, and a per-file record of
    // the same name replaces the global one.
    const inherited = (target[RAW_XATTRS] as Map<string, Buffer> | undefined) ?? new Map<string, Buffer>();
    const merged = new Map(inherited);
    for (const [name, value] of parseXattrRecords(buffer)) merged.set(name, value);
    target[RAW_XATTRS] = merged;
  };
}

// Returns the extended attributes of an entry by name, with their raw values.
export function entryXattrs(header: Header): Map<string, Buffer> {
  const pax = header.pax as Record<string | symbol, unknown> | null | undefined;
  return (pax?.[RAW_XATTRS] as Map<string, Buffer> | undefined) ?? new Map();
}

// Parses PAX records "<length> <key>=<value>\n", where length counts the
// whole record in bytes, and keeps the SCHILY.xattr ones.
export function parseXattrRecords(buffer: Buffer): Map<string, Buffer> {
  const result = new Map<string, Buffer>();
  let offset = 0;
  while (offset < buffer.length) {
    const space = buffer.indexOf(0x20, offset);
    if (space === -1) break;
    const length = Number.parseInt(buffer.toString('latin1', offset, space), 10);
    if (!Number.isSafeInteger(length) || length <= space - offset || offset + length > buffer.length) break;

    const record = buffer.subarray(space + 1, offset + length - 1);
    const equals = record.indexOf(0x3d);
    if (equals !== -1) {
      const key = record.toString('utf8', 0, equals);
      if (key.startsWith(XATTR_PREFIX)) result.set(key.slice(XATTR_PREFIX.length), Buffer.from(record.subarray(equals + 1)));
    }
    offset += length;
  }
  return result;
}
