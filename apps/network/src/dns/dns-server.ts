import { Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { DnsResponder } from './dns-responder.js';
import { ZoneAnswers } from './zone-answers.js';
import type { Zones } from './zones.js';

/** The DNS responder over the service's life: answering from start to stop where a port is set (DNS_PORT), else not at all. */
export class DnsServer implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly responder: DnsResponder;

  constructor(
    zones: Zones,
    private readonly listen: { port: number | null; host: string },
  ) {
    const answers = new ZoneAnswers(zones);
    this.responder = new DnsResponder((name) => answers.recordsNamed(name));
  }

  async onApplicationBootstrap(): Promise<void> {
    if (this.listen.port === null) return;
    await this.responder.listen(this.listen.port, this.listen.host);
    new Logger('dns').log(`answering DNS queries for network's zones on ${this.listen.host}:${this.listen.port}/udp`);
  }

  onApplicationShutdown(): void {
    this.responder.close();
  }
}
