import { Injectable, Logger } from '@nestjs/common';
import { ServiceConsumers } from '#libs/event-sourcing';
import { IMPORTED_EVENT_TYPES, ImageImporter } from './image-importer.js';

/** The importer's durable consumer of compute's own image events, shared by the replicas. */
@Injectable()
export class ImageImportConsumer {
  constructor(consumers: ServiceConsumers, importer: ImageImporter) {
    consumers.add({
      name: 'compute-image-import',
      source: 'compute',
      filterSubject: 'events.compute.image.>',
      eventTypes: IMPORTED_EVENT_TYPES,
      handle: (event) => importer.handle(event),
      inbox: false, // idempotent through the decider, and an agent's fetch is slow
      concurrency: 4,
      ackWaitMs: 10_000,
      // Backoff up to a minute: about two hours of deliveries, past the importer's hour of waiting for a host.
      maxDeliver: 130,
      backoffMs: [1000, 2000, 5000, 10_000, 30_000, 60_000],
      logger: new Logger('images'),
    });
  }
}
