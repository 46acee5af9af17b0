import type { DnsRecord } from '#libs/contracts';
import { DnsResponder } from './dns-responder.js';

const ZONE = 'local.awan.test';
const records: DnsRecord[] = [
  { name: `web.${ZONE}`, type: 'A', value: '198.51.100.7', ttl: 300 },
  { name: `web.${ZONE}`, type: 'AAAA', value: '2001:db8:51::7', ttl: 300 },
];
/** The records of a name, as ZoneAnswers gives them. */
const named = async (name: string) => (name === ZONE || name.endsWith(`.${ZONE}`) ? records.filter((r) => r.name === name) : null);
const responder = new DnsResponder(named);
const RESOLVER = '192.0.2.53';

/** A standard query with one question, as a resolver sends it. */
function query(name: string, type: number, id = 0x1234): Buffer {
  const header = Buffer.from([id >> 8, id & 0xff, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]); // RD set
  const labels = name.split('.').map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l)]));
  return Buffer.concat([header, ...labels, Buffer.from([0, type >> 8, type & 0xff, 0, 1])]);
}

async function ask(name: string, type: number) {
  const reply = (await responder.resolve(query(name, type), RESOLVER))!;
  const flags = reply.readUInt16BE(2);
  return { id: reply.readUInt16BE(0), authoritative: (flags & 0x0400) !== 0, rcode: flags & 0xf, answers: reply.readUInt16BE(6), reply };
}

describe('the DNS responder', () => {
  it('answers A and AAAA with authority, the address in the record data', async () => {
    const a = await ask(`WEB.${ZONE}`, 1);
    expect(a).toMatchObject({ id: 0x1234, authoritative: true, rcode: 0, answers: 1 });
    expect([...a.reply.subarray(-4)]).toEqual([198, 51, 100, 7]);
    const aaaa = await ask(`web.${ZONE}`, 28);
    expect(aaaa.answers).toBe(1);
    expect(aaaa.reply.subarray(-16).toString('hex')).toBe('20010db8005100000000000000000007');
    expect((await ask(`web.${ZONE}`, 255)).answers).toBe(2);
  });

  it('says NXDOMAIN for a name its zone lacks, NOERROR with nothing for a type the name lacks, REFUSED outside its zones', async () => {
    expect(await ask(`db.${ZONE}`, 1)).toMatchObject({ rcode: 3, answers: 0 });
    expect(await ask(`web.${ZONE}`, 12)).toMatchObject({ rcode: 0, answers: 0 });
    expect(await ask('example.invalid', 1)).toMatchObject({ rcode: 5, answers: 0 });
  });

  it('ignores what is not a query it can read', async () => {
    expect(await responder.resolve(Buffer.from([1, 2, 3]), RESOLVER)).toBeNull();
  });

  it("ignores a response, its own among them: two responders sent each other's answers would loop without end", async () => {
    const { reply } = await ask(`web.${ZONE}`, 1);
    expect(await responder.resolve(reply, RESOLVER)).toBeNull();
  });

  it('answers a source 200 queries at once and 100 a second after, and drops the rest; other sources are answered meanwhile', async () => {
    let now = 0;
    const limited = new DnsResponder(named, () => now);
    const answered = async (count: number, source: string) => {
      const replies = await Promise.all(Array.from({ length: count }, (_, i) => limited.resolve(query(`web.${ZONE}`, 1, i), source)));
      return replies.filter((reply) => reply !== null).length;
    };
    expect(await answered(250, '198.51.100.9')).toBe(200);
    expect(await answered(5, '2001:db8::53')).toBe(5);
    now += 1000;
    expect(await answered(250, '198.51.100.9')).toBe(100);
  });

  it('drops a datagram from port 0, which no one can be answered on, and goes on answering', async () => {
    const listening = new DnsResponder(named);
    await listening.listen(0, '127.0.0.1');
    const socket = (listening as unknown as { socket: import('node:dgram').Socket }).socket;
    const failures: unknown[] = [];
    const onFailure = (error: unknown) => failures.push(error);
    process.on('unhandledRejection', onFailure);
    try {
      // As a forged source arrives: Node's send throws for port 0, and that ended the process.
      socket.emit('message', query(`web.${ZONE}`, 1), { address: '127.0.0.1', family: 'IPv4', port: 0, size: 0 });
      const client = (await import('node:dgram')).createSocket('udp4');
      const answered = new Promise<Buffer>((resolve) => client.once('message', resolve));
      client.send(query(`web.${ZONE}`, 1, 0x4321), socket.address().port, '127.0.0.1');
      expect((await answered).readUInt16BE(0)).toBe(0x4321);
      client.close();
      expect(failures).toEqual([]);
    } finally {
      process.off('unhandledRejection', onFailure);
      listening.close();
    }
  });
});
