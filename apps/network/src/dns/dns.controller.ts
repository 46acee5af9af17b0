import { Controller } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import type { DnsRecord, DnsZone, RequestOf, ZoneFile } from '#libs/contracts';
import { Handles } from '#libs/messaging';
import { Zones } from './zones.js';

/** `network.dns.*`: the zone data, as records or as a zone file. */
@Controller()
export class DnsController {
  constructor(private readonly zones: Zones) {}

  @Handles('network.dns.zones')
  list(): Promise<DnsZone[]> {
    return this.zones.zones();
  }

  @Handles('network.dns.records')
  records(@Payload() payload: RequestOf<'network.dns.records'>): Promise<DnsRecord[]> {
    return this.zones.records(payload?.zone);
  }

  @Handles('network.dns.zoneFile')
  zoneFile(@Payload() payload: RequestOf<'network.dns.zoneFile'>): Promise<ZoneFile> {
    return this.zones.zoneFile(payload?.zone);
  }
}
