import { AppError, type DnsRecord, type DnsZone, type IpPrefix, parseAddress, type RegionView, type ZoneFile } from '#libs/contracts';
import type { ServiceClient } from '#libs/messaging';
import { parsePrefix, reverseName, reverseZone } from '../ip-range.js';
import type { DnsRepository } from './dns.repository.js';

type Region = Pick<RegionView, 'id' | 'dnsZone'>;

const TTL = 300;

/**
 * The zone data network serves: per region, a forward zone `<region>.<dnsZone>` naming each
 * live instance's own addresses; per pool, the reverse zone of its prefix with a PTR for each
 * live address (the one set on it, or else the name of the instance it belongs to).
 */
export class Zones {
  constructor(
    private readonly repository: DnsRepository,
    private readonly client: ServiceClient,
    /** The name of the server authoritative for the zones, in their SOA and NS records. */
    private readonly nameserver: string,
  ) {}

  async zones(): Promise<DnsZone[]> {
    const forward = (await this.regions()).map((region): DnsZone => ({ name: forwardZone(region), kind: 'FORWARD', regionId: region.id }));
    return [...forward, ...(await this.reverseZones())];
  }

  /** One per pool's prefix, cut at the label boundary; pools that share a zone share it. */
  async reverseZones(): Promise<DnsZone[]> {
    const zones = new Map<string, DnsZone>();
    for (const pool of await this.repository.poolPrefixes()) {
      const name = reverseZone(parsePrefix(pool.prefix) as IpPrefix);
      const zone = zones.get(name) ?? { name, kind: 'REVERSE', regionId: pool.regionId, poolIds: [] };
      zone.poolIds!.push(pool.id);
      zones.set(name, zone);
    }
    return [...zones.values()];
  }

  async records(zoneName: unknown): Promise<DnsRecord[]> {
    return this.recordsOf(await this.zone(zoneName));
  }

  async recordsOf(zone: DnsZone): Promise<DnsRecord[]> {
    if (zone.kind === 'FORWARD') {
      return (await this.repository.instanceAddresses(zone.regionId)).map((r) => ({
        name: `${r.name}.${zone.name}`, type: r.family === 'IPV4' ? 'A' : 'AAAA', value: r.address, ttl: TTL,
      }));
    }
    const addresses = await this.repository.poolAddresses(zone.poolIds ?? []);
    // Only an address of an instance needs compute's regions, for the instance's name.
    const regions = new Map(addresses.some((a) => a.instanceName) ? (await this.regions()).map((r) => [r.id, r]) : []);
    return addresses.flatMap((a) => {
      const owner = reverseName(parseAddress(a.address)!);
      const region = a.regionId ? regions.get(a.regionId) : undefined;
      const target = a.reverseDns ?? (a.instanceName && region ? `${a.instanceName}.${forwardZone(region)}` : null);
      return target ? [{ name: owner, type: 'PTR' as const, value: target, ttl: TTL }] : [];
    });
  }

  /** The domains whose names are the platform's: each region's DNS zone (its instances' names), and its nameserver's. */
  async platformDomains(): Promise<string[]> {
    return [...new Set([...(await this.regions()).map((region) => region.dnsZone), this.nameserverDomain()])];
  }

  private nameserverDomain(): string {
    return this.nameserver.split('.').slice(1).join('.');
  }

  /** The zone in the master-file format of RFC 1035, ready for an authoritative server to load. */
  async zoneFile(zoneName: unknown): Promise<ZoneFile> {
    const zone = await this.zone(zoneName);
    const hostmaster = `hostmaster.${this.nameserverDomain()}`;
    const serial = await this.repository.newestChange();
    const lines = [
      `$ORIGIN ${zone.name}.`,
      `$TTL ${TTL}`,
      `@ IN SOA ${this.nameserver}. ${hostmaster}. ( ${serial} 3600 600 1209600 ${TTL} )`,
      `@ IN NS ${this.nameserver}.`,
      ...(await this.recordsOf(zone)).map((r) => `${r.name}. ${r.ttl} IN ${r.type} ${r.type === 'PTR' ? `${r.value}.` : r.value}`),
    ];
    return { zone: zone.name, serial, text: `${lines.join('\n')}\n` };
  }

  private async zone(zoneName: unknown): Promise<DnsZone> {
    const name = typeof zoneName === 'string' ? zoneName.toLowerCase().replace(/\.$/, '') : '';
    const zone = (await this.zonesFor(name)).find((z) => z.name === name);
    if (!zone) throw AppError.notFound(`zone ${String(zoneName)}`);
    return zone;
  }

  /** The zones a name may be in: a reverse name needs only network's pools, not compute's regions. */
  zonesFor(name: string): Promise<DnsZone[]> {
    return name.endsWith('.arpa') ? this.reverseZones() : this.zones();
  }

  /** Regions and their DNS zones belong to compute's catalog. */
  private regions(): Promise<Region[]> {
    return this.client.call('compute.catalog.regions', {}, 5000);
  }
}

const forwardZone = (region: Region) => `${region.id}.${region.dnsZone}`;
