// The few parts of the DNS wire format (RFC 1035) that the resolver needs:
// reading the question of a query and writing A answers or an error code.

export const TYPE_A = 1;
export const CLASS_IN = 1;
export const RCODE_NOERROR = 0;
export const RCODE_SERVFAIL = 2;
export const RCODE_NXDOMAIN = 3;
export const RCODE_REFUSED = 5;

export interface Question {
  id: number;
  flags: number;
  // Lowercase, without the trailing dot.
  name: string;
  type: number;
  class: number;
  // Byte offset just past the question section.
  end: number;
}

const HEADER_LENGTH = 12;

// Parses the first question of a query; returns null for a message that is not a query with one question.
export function parseQuestion(message: Buffer): Question | null {
  if (message.length < HEADER_LENGTH) return null;
  const flags = message.readUInt16BE(2);
  const isResponse = (flags & 0x8000) !== 0;
  if (isResponse || message.readUInt16BE(4) !== 1) return null;

  const labels: string[] = [];
  let offset = HEADER_LENGTH;
  for (;;) {
    if (offset >= message.length) return null;
    const length = message[offset];
    // Compression pointers and extended labels do not occur in a query's only question.
    if (length > 63) return null;
    offset += 1;
    if (length === 0) break;
    if (offset + length > message.length) return null;
    labels.push(message.toString('latin1', offset, offset + length));
    offset += length;
  }
  if (offset + 4 > message.length) return null;
  return {
    id: message.readUInt16BE(0),
    flags,
    name: labels.join('.').toLowerCase(),
    type: message.readUInt16BE(offset),
    class: message.readUInt16BE(offset + 2),
    end: offset + 4,
  };
}

// Builds a response that repeats the question and carries one A record per address.
export function buildResponse(query: Buffer, question: Question, rcode: number, addresses: readonly string[], ttlSeconds = 600): Buffer {
  const header = Buffer.alloc(HEADER_LENGTH);
  header.writeUInt16BE(question.id, 0);
  // QR=1, opcode and RD copied from the query, AA=1, RA=1.
  const flags = 0x8000 | (question.flags & 0x7900) | 0x0400 | 0x0080 | (rcode & 0xf);
  header.writeUInt16BE(flags, 2);
  header.writeUInt16BE(1, 4);
  header.writeUInt16BE(addresses.length, 6);

  const answers = addresses.map((address) => {
    const record = Buffer.alloc(16);
    // A pointer to the name in the question, which starts right after the header.
    record.writeUInt16BE(0xc000 | HEADER_LENGTH, 0);
    record.writeUInt16BE(TYPE_A, 2);
    record.writeUInt16BE(CLASS_IN, 4);
    record.writeUInt32BE(ttlSeconds, 6);
    record.writeUInt16BE(4, 10);
    address.split('.').forEach((octet, index) => record.writeUInt8(Number(octet), 12 + index));
    return record;
  });
  return Buffer.concat([header, query.subarray(HEADER_LENGTH, question.end), ...answers]);
}
