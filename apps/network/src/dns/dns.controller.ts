import { Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { Zones } from './zones.js';

/** `network.dns.*`: the zone data, as records or as a zone file. */
@Controller()
export class DnsController {
  constructor(private readonly zones: Zones) {}

  @MessagePattern('network.dns.zones')
  list() {
    return this.zones.zones();
  }

  @MessagePattern('network.dns.records')
  records(@Payload() payload: { zone: string }) {
    return this.zones.records(payload?.zone);
  }

  @MessagePattern('network.dns.zoneFile')
  zoneFile(@Payload() payload: { zone: string }) {
    return this.zones.zoneFile(payload?.zone);
  }
}
