import dgram from 'node:dgram';
import type { DnsRecord } from '#libs/contracts';
import { RateLimiter } from '#libs/platform';
import { parseAddress } from '#libs/contracts';

const TYPES = { A: 1, PTR: 12, AAAA: 28 } as const;
const ANY = 255;
const CLASS_IN = 1;
const RCODE = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5 } as const;

/** What the responder knows: a name's records, or null when no zone of ours holds it. */
export type RecordSource = (name: string) => Promise<DnsRecord[] | null>;

/**
 * Queries a source address may ask, a second and at once. A resolver asks again only as records'
 * TTL (300 s) runs out, so this is far above any; beyond it queries are dropped, as a flood's are.
 */
export const QUERIES_PER_SOURCE = { perSecond: 100, burst: 200 } as const;

interface Question {
  id: number;
  flags: number;
  name: string;
  type: number;
  /** The question section as received, echoed in the answer. */
  section: Buffer;
}

/**
 * Reads a query's header and its one question; null when the packet is not one we can read, or is
 * no query: a response (QR set) answered would loop between two responders without end (Loop DoS).
 */
function readQuestion(packet: Buffer): Question | null {
  if (packet.length < 12 || (packet[2] & 0x80) !== 0 || packet.readUInt16BE(4) !== 1) return null;
  const labels: string[] = [];
  let offset = 12;
  for (;;) {
    const length = packet[offset];
    if (length === undefined || length > 63) return null; // compression is not used in questions
    offset++;
    if (length === 0) break;
    labels.push(packet.toString('latin1', offset, offset + length));
    offset += length;
  }
  if (offset + 4 > packet.length) return null;
  return {
    id: packet.readUInt16BE(0), flags: packet.readUInt16BE(2), name: labels.join('.').toLowerCase(),
    type: packet.readUInt16BE(offset), section: packet.subarray(12, offset + 4),
  };
}

function encodeName(name: string): Buffer {
  return Buffer.concat([...name.split('.').map((label) => Buffer.concat([Buffer.from([label.length]), Buffer.from(label, 'latin1')])), Buffer.from([0])]);
}

function rdata(record: DnsRecord): Buffer {
  if (record.type === 'PTR') return encodeName(record.value);
  const { value } = parseAddress(record.value)!;
  const bytes = record.type === 'A' ? 4 : 16;
  return Buffer.from(value.toString(16).padStart(bytes * 2, '0'), 'hex');
}

/** An answer: our header, the question echoed, and each record owned by the question's name (a pointer to it). */
function answer(question: Question, rcode: number, records: DnsRecord[]): Buffer {
  const header = Buffer.alloc(12);
  header.writeUInt16BE(question.id, 0);
  // QR, the query's opcode and RD, AA: this server is the authority for its zones.
  header.writeUInt16BE(0x8000 | (question.flags & 0x7900) | 0x0400 | rcode, 2);
  header.writeUInt16BE(1, 4);
  header.writeUInt16BE(records.length, 6);
  const answers = records.map((record) => {
    const data = rdata(record);
    const fixed = Buffer.alloc(12);
    fixed.writeUInt16BE(0xc00c, 0); // the owner is the question's name, at offset 12
    fixed.writeUInt16BE(TYPES[record.type], 2);
    fixed.writeUInt16BE(CLASS_IN, 4);
    fixed.writeUInt32BE(record.ttl, 6);
    fixed.writeUInt16BE(data.length, 10);
    return Buffer.concat([fixed, data]);
  });
  return Buffer.concat([header, question.section, ...answers]);
}

/**
 * A small authoritative DNS server over UDP for network's zones: A, AAAA and PTR (and ANY),
 * NXDOMAIN for a name our zone does not hold, REFUSED for one outside our zones.
 */
export class DnsResponder {
  private socket: dgram.Socket | null = null;
  private readonly sources: RateLimiter;

  constructor(
    private readonly records: RecordSource,
    now: () => number = Date.now,
  ) {
    this.sources = new RateLimiter(QUERIES_PER_SOURCE.perSecond, QUERIES_PER_SOURCE.burst, now);
  }

  /** The answer to `packet` from `source` (an address); null for none: not a query, or the source over its rate. */
  async resolve(packet: Buffer, source: string): Promise<Buffer | null> {
    const question = readQuestion(packet);
    if (!question || !this.sources.take(source)) return null;
    if ((question.flags & 0x7800) !== 0) return answer(question, RCODE.NOTIMP, []); // only QUERY
    try {
      const named = await this.records(question.name);
      if (named === null) return answer(question, RCODE.REFUSED, []);
      if (named.length === 0) return answer(question, RCODE.NXDOMAIN, []);
      return answer(question, RCODE.NOERROR, named.filter((r) => question.type === ANY || TYPES[r.type] === question.type));
    } catch {
      return answer(question, RCODE.SERVFAIL, []); // compute did not answer for the regions, say
    }
  }

  listen(port: number, host: string): Promise<void> {
    const socket = dgram.createSocket(host.includes(':') ? 'udp6' : 'udp4');
    this.socket = socket;
    socket.on('message', (packet, peer) => {
      // Port 0 is no one's (a forged source): Node's send throws for it, which would end the process.
      if (peer.port === 0) return;
      void this.resolve(packet, peer.address)
        .then((reply) => {
          if (reply) socket.send(reply, peer.port, peer.address, () => undefined);
        })
        .catch(() => undefined); // a reply that cannot be sent is a lost datagram, as UDP's are
    });
    return new Promise((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(port, host, () => resolve());
    });
  }

  close(): void {
    this.socket?.close();
    this.socket = null;
  }
}
