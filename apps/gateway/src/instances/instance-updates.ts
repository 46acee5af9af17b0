import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { NatsConnection, Subscription } from '@nats-io/transport-node';
import { aggregateOf, PLATFORM_SCOPE, type EventEnvelope, type InstanceStatus, type InstanceView, type Scope } from '#libs/contracts';
import { inScope, ServiceClient } from '#libs/messaging';
import { NATS_CONNECTION } from '#libs/platform';

interface Listener {
  scope: Scope;
  instanceId: string | null;
  push(instance: InstanceView): void;
}

const MAX_QUEUED = 100;
const MAX_REMEMBERED = 100_000;

/**
 * `instanceUpdated`: every compute instance event published on JetStream reaches this gateway on
 * core NATS as well (a subscription of its own, no durable consumer: a subscriber only wants what
 * happens from now on). An instance whose status changed is read once from compute, as the
 * platform's (the feed is the gateway's own, for every listener), and handed to each listener whose
 * scope holds it.
 */
@Injectable()
export class InstanceUpdates implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('instance-updates');
  private readonly listeners = new Set<Listener>();
  private readonly lastStatus = new Map<string, InstanceStatus>();
  private subscription: Subscription | undefined;

  constructor(
    @Inject(NATS_CONNECTION) private readonly nats: NatsConnection,
    private readonly client: ServiceClient,
  ) {}

  onApplicationBootstrap(): void {
    this.subscription = this.nats.subscribe('events.compute.instance.>', {
      callback: (_error, message) => {
        if (this.listeners.size === 0) return;
        const event = message.json<EventEnvelope>();
        if (aggregateOf(event?.streamId ?? '') !== 'instance') return;
        this.publish(event.streamId.slice('instance-'.length)).catch((error: Error) => this.logger.warn(`update of ${event.streamId} not delivered: ${error.message}`));
      },
    });
  }

  onApplicationShutdown(): void {
    this.subscription?.unsubscribe();
  }

  private async publish(instanceId: string): Promise<void> {
    const instance = await this.client.call('compute.instance.get', { accountIds: PLATFORM_SCOPE, id: instanceId });
    if (!instance || this.lastStatus.get(instance.id) === instance.status) return;
    this.lastStatus.delete(instance.id);
    this.lastStatus.set(instance.id, instance.status);
    if (this.lastStatus.size > MAX_REMEMBERED) this.lastStatus.delete(this.lastStatus.keys().next().value!);
    for (const listener of this.listeners) {
      if (inScope(instance.accountId, listener.scope) && (!listener.instanceId || listener.instanceId === instance.id)) listener.push(instance);
    }
  }

  /** The status changes the scope may see, of one instance or of all, from now until the iterator is returned. */
  subscribe(scope: Scope, instanceId: string | null): AsyncIterableIterator<{ instanceUpdated: InstanceView }> {
    const queue: InstanceView[] = [];
    let wake: (() => void) | undefined;
    let done = false;
    const listener: Listener = {
      scope,
      instanceId,
      push: (instance) => {
        if (queue.length >= MAX_QUEUED) queue.shift(); // a client that does not read loses the oldest, not the newest
        queue.push(instance);
        wake?.();
      },
    };
    this.listeners.add(listener);
    const finish = async () => {
      done = true;
      this.listeners.delete(listener);
      wake?.();
      return { done: true as const, value: undefined };
    };
    return {
      [Symbol.asyncIterator]() {
        return this;
      },
      async next() {
        while (!done && queue.length === 0) await new Promise<void>((resolve) => (wake = resolve));
        if (done) return { done: true, value: undefined };
        return { done: false, value: { instanceUpdated: queue.shift()! } };
      },
      return: finish,
      throw: finish,
    };
  }
}
