import type { DnsRecord, DnsZone } from '#libs/contracts';
import { ZoneAnswers } from './zone-answers.js';

const forward: DnsZone = { name: 'local.awan.test', kind: 'FORWARD', regionId: 'local' };
const reverse: DnsZone = { name: '100.51.198.in-addr.arpa', kind: 'REVERSE', regionId: 'local', poolIds: ['local-v4'] };
const web: DnsRecord[] = [
  { name: 'web.local.awan.test', type: 'A', value: '198.51.100.7', ttl: 300 },
  { name: 'web.local.awan.test', type: 'AAAA', value: '2001:db8:51::7', ttl: 300 },
];
const ptr: DnsRecord = { name: '7.100.51.198.in-addr.arpa', type: 'PTR', value: 'web.local.awan.test', ttl: 300 };

/** Zones as network reads them, each read counted: what a query costs its database and compute. */
function zonesReadCounted() {
  const reads = { zoneLists: 0, records: 0 };
  let failNext = false;
  const zones = {
    zonesFor: async (name: string) => {
      reads.zoneLists++;
      if (failNext) {
        failNext = false;
        throw new Error('compute did not answer');
      }
      return name.endsWith('.arpa') ? [reverse] : [forward, reverse];
    },
    recordsOf: async (zone: DnsZone) => {
      reads.records++;
      return zone.kind === 'FORWARD' ? web : [ptr];
    },
  };
  return { zones, reads, failNextRead: () => (failNext = true) };
}

describe("the zones the DNS responder answers from", () => {
  it("gives a name's records, none for a name its zone lacks, and null outside our zones", async () => {
    const answers = new ZoneAnswers(zonesReadCounted().zones);
    expect(await answers.recordsNamed('web.local.awan.test')).toEqual(web);
    expect(await answers.recordsNamed('7.100.51.198.in-addr.arpa')).toEqual([ptr]);
    expect(await answers.recordsNamed('db.local.awan.test')).toEqual([]);
    expect(await answers.recordsNamed('example.invalid')).toBeNull();
  });

  it('reads the zones and a zone\'s records once a second, however many queries come at once or meanwhile', async () => {
    let now = 0;
    const { zones, reads } = zonesReadCounted();
    const answers = new ZoneAnswers(zones, () => now);
    await Promise.all(Array.from({ length: 1000 }, (_, i) => answers.recordsNamed(i % 2 ? 'web.local.awan.test' : `host-${i}.local.awan.test`)));
    expect(reads).toEqual({ zoneLists: 1, records: 1 });
    now += 999;
    await answers.recordsNamed('web.local.awan.test');
    expect(reads).toEqual({ zoneLists: 1, records: 1 });
    now += 1;
    expect(await answers.recordsNamed('web.local.awan.test')).toEqual(web);
    expect(reads).toEqual({ zoneLists: 2, records: 2 });
  });

  it('reads again at the next query after a read that failed', async () => {
    const { zones, reads, failNextRead } = zonesReadCounted();
    const answers = new ZoneAnswers(zones, () => 0);
    failNextRead();
    await expect(answers.recordsNamed('web.local.awan.test')).rejects.toThrow('compute did not answer');
    expect(await answers.recordsNamed('web.local.awan.test')).toEqual(web);
    expect(reads.zoneLists).toBe(2);
  });
});
