import { Controller, Inject, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { DnsResponder } from './dns-responder.js';
import { Zones } from './zones.js';

/** Where the DNS responder listens; no port, no responder. */
export const DNS_LISTEN = Symbol('DNS_LISTEN');
export interface DnsListen {
  port: number | null;
  host: string;
}

/** `network.dns.*`: the zone data, as records or as a zone file; and the DNS responder serving it. */
@Controller()
export class DnsController implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly responder: DnsResponder;

  constructor(
    private readonly zones: Zones,
    @Inject(DNS_LISTEN) private readonly listen: DnsListen,
  ) {
    this.responder = new DnsResponder((name) => zones.recordsFor(name));
  }

  async onApplicationBootstrap(): Promise<void> {
    if (this.listen.port === null) return;
    await this.responder.listen(this.listen.port, this.listen.host);
    new Logger('dns').log(`answering DNS queries for network's zones on ${this.listen.host}:${this.listen.port}/udp`);
  }

  onApplicationShutdown(): void {
    this.responder.close();
  }

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
