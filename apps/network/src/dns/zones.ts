import type pg from 'pg';
import { AppError } from '#libs/contracts';
import { type ServiceClient } from '#libs/messaging';
import { parseAddress, parsePrefix, reverseName, reverseZone, type IpPrefix } from '../ip-range.js';

export interface DnsZone {
  /** Without the trailing dot, e.g. `local.awan.test` or `113.0.203.in-addr.arpa`. */
  name: string;
  kind: 'FORWARD' | 'REVERSE';
  regionId: string;
  /** For a reverse zone: the pools whose addresses it names. */
  poolIds?: string[];
}

export interface DnsRecord {
  /** The owner's full name, without the trailing dot. */
  name: string;
  type: 'A' | 'AAAA' | 'PTR';
  value: string;
  ttl: number;
}

interface Region {
  id: string;
  dnsZone: string;
}

const TTL = 300;

/**
 * The zone data network serves: per region, a forward zone `<region>.<dnsZone>` naming each
 * live instance's own addresses; per pool, the reverse zone of its prefix with a PTR for each
 * live address (the one set on it, or else the name of the instance it belongs to).
 */
export class Zones {
  constructor(
    private readonly pool: pg.Pool,
    private readonly client: ServiceClient,
    /** The name of the server authoritative for the zones, in their SOA and NS records. */
    private readonly nameserver: string,
  ) {}

  async zones(): Promise<DnsZone[]> {
    const forward = (await this.regions()).map((region): DnsZone => ({ name: forwardZone(region), kind: 'FORWARD', regionId: region.id }));
    return [...forward, ...(await this.reverseZones())];
  }

  /** One per pool's prefix, cut at the label boundary; pools that share a zone share it. */
  private async reverseZones(): Promise<DnsZone[]> {
    const { rows } = await this.pool.query<{ id: string; region_id: string; prefix: string }>('SELECT id, region_id, prefix::text FROM pools ORDER BY position');
    const zones = new Map<string, DnsZone>();
    for (const row of rows) {
      const name = reverseZone(parsePrefix(row.prefix) as IpPrefix);
      const zone = zones.get(name) ?? { name, kind: 'REVERSE', regionId: row.region_id, poolIds: [] };
      zone.poolIds!.push(row.id);
      zones.set(name, zone);
    }
    return [...zones.values()];
  }

  async records(zoneName: unknown): Promise<DnsRecord[]> {
    return this.recordsOf(await this.zone(zoneName));
  }

  /** The records of the zone that holds `name` (the longest that does), or null when none of ours does. */
  async recordsFor(name: string): Promise<DnsRecord[] | null> {
    const holding = (await this.zonesFor(name)).filter((z) => name === z.name || name.endsWith(`.${z.name}`));
    const zone = holding.sort((a, b) => b.name.length - a.name.length)[0];
    return zone ? this.recordsOf(zone) : null;
  }

  private async recordsOf(zone: DnsZone): Promise<DnsRecord[]> {
    if (zone.kind === 'FORWARD') {
      const { rows } = await this.pool.query<{ name: string; address: string; family: string }>(
        `SELECT i.name, host(a.address) AS address, a.family FROM instances i
         JOIN ip_addresses a ON a.instance_id = i.id AND NOT a.floating AND a.released_at IS NULL
         WHERE i.ended_at IS NULL AND i.region_id = $1 ORDER BY i.name, a.family`,
        [zone.regionId],
      );
      return rows.map((r) => ({ name: `${r.name}.${zone.name}`, type: r.family === 'IPV4' ? 'A' : 'AAAA', value: r.address, ttl: TTL }));
    }
    const { rows } = await this.pool.query<{ address: string; reverse_dns: string | null; name: string | null; region_id: string | null }>(
      `SELECT host(a.address) AS address, a.reverse_dns, i.name, i.region_id FROM ip_addresses a
       LEFT JOIN instances i ON i.id = a.instance_id AND i.ended_at IS NULL
       WHERE a.released_at IS NULL AND a.pool_id = ANY($1) ORDER BY a.address`,
      [zone.poolIds],
    );
    // Only an address of an instance needs compute's regions, for the instance's name.
    const regions = new Map(rows.some((row) => row.name) ? (await this.regions()).map((r) => [r.id, r]) : []);
    return rows.flatMap((row) => {
      const owner = reverseName(parseAddress(row.address)!);
      const region = row.region_id ? regions.get(row.region_id) : undefined;
      const target = row.reverse_dns ?? (row.name && region ? `${row.name}.${forwardZone(region)}` : null);
      return target ? [{ name: owner, type: 'PTR' as const, value: target, ttl: TTL }] : [];
    });
  }

  /** The zone in the master-file format of RFC 1035, ready for an authoritative server to load. */
  async zoneFile(zoneName: unknown): Promise<{ zone: string; serial: number; text: string }> {
    const zone = await this.zone(zoneName);
    const hostmaster = `hostmaster.${this.nameserver.split('.').slice(1).join('.')}`;
    const serial = await this.serial();
    const lines = [
      `$ORIGIN ${zone.name}.`,
      `$TTL ${TTL}`,
      `@ IN SOA ${this.nameserver}. ${hostmaster}. ( ${serial} 3600 600 1209600 ${TTL} )`,
      `@ IN NS ${this.nameserver}.`,
      ...(await this.recordsOf(zone)).map((r) => `${r.name}. ${r.ttl} IN ${r.type} ${r.type === 'PTR' ? `${r.value}.` : r.value}`),
    ];
    return { zone: zone.name, serial, text: `${lines.join('\n')}\n` };
  }

  /** Seconds since the epoch of the newest change: grows with every change, as a zone serial must. */
  private async serial(): Promise<number> {
    const { rows } = await this.pool.query<{ serial: number }>(
      'SELECT coalesce(extract(epoch FROM max(occurred_at)), 0)::bigint AS serial FROM (SELECT occurred_at FROM events ORDER BY global_position DESC LIMIT 1) newest',
    );
    return Number(rows[0].serial);
  }

  private async zone(zoneName: unknown): Promise<DnsZone> {
    const name = typeof zoneName === 'string' ? zoneName.toLowerCase().replace(/\.$/, '') : '';
    const zone = (await this.zonesFor(name)).find((z) => z.name === name);
    if (!zone) throw AppError.notFound(`zone ${String(zoneName)}`);
    return zone;
  }

  /** The zones a name may be in: a reverse name needs only network's pools, not compute's regions. */
  private zonesFor(name: string): Promise<DnsZone[]> {
    return name.endsWith('.arpa') ? this.reverseZones() : this.zones();
  }

  /** Regions and their DNS zones belong to compute's catalog. */
  private regions(): Promise<Region[]> {
    return this.client.request<Region[]>('compute.catalog.regions', {}, 5000);
  }
}

const forwardZone = (region: Region) => `${region.id}.${region.dnsZone}`;
