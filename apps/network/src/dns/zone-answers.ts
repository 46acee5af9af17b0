import type { DnsRecord, DnsZone } from '#libs/contracts';
import { RecentReads } from '#libs/platform';
import type { Zones } from './zones.js';

/** How old the zones an answer comes from may be: a second behind, where their records live 300 s in resolvers' caches. */
const MAX_AGE_MS = 1000;

/**
 * What the DNS responder answers from: the zones, and each zone's records by name, read at most
 * once a second however many queries come. Each query read a whole zone (and asked compute for the
 * regions), so a flood of them took network's database from every allocation.
 */
export class ZoneAnswers {
  private readonly zoneLists: RecentReads<DnsZone[]>;
  private readonly records: RecentReads<Map<string, DnsRecord[]>>;

  constructor(
    private readonly zones: Pick<Zones, 'zonesFor' | 'recordsOf'>,
    now: () => number = Date.now,
  ) {
    this.zoneLists = new RecentReads(MAX_AGE_MS, now);
    this.records = new RecentReads(MAX_AGE_MS, now);
  }

  /** The records of `name` (lower case, no final dot) in the zone of ours that holds it (the longest), or null when none does. */
  async recordsNamed(name: string): Promise<DnsRecord[] | null> {
    // Reverse names are in zones of network's pools alone, forward ones in any: two lists.
    const reverse = name.endsWith('.arpa');
    const zones = await this.zoneLists.get(reverse ? 'reverse' : 'any', () => this.zones.zonesFor(name));
    const zone = zones
      .filter((z) => name === z.name || name.endsWith(`.${z.name}`))
      .sort((a, b) => b.name.length - a.name.length)[0];
    if (!zone) return null;
    const byName = await this.records.get(zone.name, async () => {
      const named = new Map<string, DnsRecord[]>();
      for (const record of await this.zones.recordsOf(zone)) named.set(record.name, [...(named.get(record.name) ?? []), record]);
      return named;
    });
    return byName.get(name) ?? [];
  }
}
