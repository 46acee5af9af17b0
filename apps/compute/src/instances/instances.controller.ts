import { Controller, Inject, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import type { NatsConnection, Subscription } from '@nats-io/transport-node';
import type pg from 'pg';
import { AGENT_HEARTBEAT_SUBJECT, type Caller, type HostHeartbeat } from '#libs/contracts';
import { EventConsumer, EventStore } from '#libs/event-store';
import { metadataOf, scopeOf, ServiceClient } from '#libs/messaging';
import { PG_POOL } from '#libs/event-sourcing';
import { NATS_CONNECTION } from '#libs/platform';
import { Catalog } from '../catalog/catalog.js';
import { hostDownTimeoutMs } from '../hosts/hosts.js';
import { Scheduler } from '../scheduler/scheduler.js';
import { AccountSuspensions } from '../suspensions/account-suspensions.js';
import { ADDRESSING_EVENT_TYPES, recordInstanceAddresses } from './instance-addresses.js';
import { InstanceProvisioner, PROVISIONED_EVENT_TYPES } from './instance-provisioner.js';
import { InstanceWatcher, transitionTimeouts } from './instance-watcher.js';
import { AccountQueue } from './account-queue.js';
import { Instances, type CreateInstanceInput, type InstanceOperationRequest, type ListFilter } from './instances.js';
import { defaultQuota, Quotas, type QuotaLimits } from './quotas.js';

const TIMEOUTS_MS = transitionTimeouts();
const DEFAULT_QUOTA = defaultQuota();
const WATCH_INTERVAL_MS = 1000;
const DOWN_TIMEOUT_MS = hostDownTimeoutMs();
/** How long an account's write may queue behind its others: an answer well inside the gateway's 15 s. */
const ACCOUNT_QUEUE_WAIT_MS = 10_000;

type OperationPayload = Caller & { id: string; force?: boolean; planId?: string };

/**
 * `compute.instance.*` and `compute.quota.*` for the gateway; and, in the background, the
 * provisioner (a durable consumer of compute's own instance events, shared by the replicas),
 * the consumer of network's answers with each instance's addresses, and the timeout watcher.
 */
@Controller()
export class InstancesController implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('instances');
  private readonly instances: Instances;
  private readonly quotas: Quotas;
  private readonly consumer: EventConsumer;
  private readonly addressing: EventConsumer;
  private readonly watcher: InstanceWatcher;
  private watching: NodeJS.Timeout | undefined;
  private heartbeats: Subscription | undefined;

  constructor(
    @Inject(PG_POOL) pool: pg.Pool,
    store: EventStore,
    client: ServiceClient,
    @Inject(NATS_CONNECTION) private readonly nats: NatsConnection,
  ) {
    const catalog = new Catalog(pool);
    const scheduler = new Scheduler(pool);
    this.quotas = new Quotas(pool, DEFAULT_QUOTA);
    this.instances = new Instances(pool, store, catalog, this.quotas, scheduler, new AccountSuspensions(pool, store), new AccountQueue(ACCOUNT_QUEUE_WAIT_MS));
    this.watcher = new InstanceWatcher(pool, store, scheduler, TIMEOUTS_MS);
    const provisioner = new InstanceProvisioner(pool, store, catalog, scheduler, client);
    this.consumer = new EventConsumer({
      pool,
      schema: store.schema,
      service: 'compute',
      nats,
      name: 'compute-provisioner',
      source: 'compute',
      filterSubject: 'events.compute.instance.>',
      eventTypes: PROVISIONED_EVENT_TYPES,
      handle: (event, tx) => provisioner.handle(event, tx),
      inbox: false, // the provisioner is idempotent through the decider, and its agent calls are slow
      concurrency: 4,
      ackWaitMs: 10_000,
      maxDeliver: 30,
      backoffMs: [1000, 2000, 5000, 10_000, 30_000],
      logger: this.logger,
    });
    this.addressing = new EventConsumer({
      pool,
      schema: store.schema,
      service: 'compute',
      nats,
      name: 'compute-addressing',
      source: 'network',
      filterSubject: 'events.network.instance.>',
      eventTypes: ADDRESSING_EVENT_TYPES,
      handle: (event) => recordInstanceAddresses(store, event),
      inbox: false, // idempotent through the decider
      concurrency: 4,
      logger: this.logger,
    });
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.consumer.start();
    await this.addressing.start();
    this.watching = setInterval(() => void this.watch(), WATCH_INTERVAL_MS);
    // Its own queue group: the hosts capability takes every heartbeat too.
    this.heartbeats = this.nats.subscribe(AGENT_HEARTBEAT_SUBJECT, {
      queue: 'compute-instances',
      callback: (_error, message) => {
        this.watcher
          .reconcile(message.json<HostHeartbeat>())
          .then((ids) => ids.forEach((id) => this.logger.log(`instance ${id} stopped: its host reports the guest powered off`)))
          .catch((error: Error) => this.logger.warn(`heartbeat not reconciled: ${error.message}`));
      },
    });
  }

  async onApplicationShutdown(): Promise<void> {
    this.heartbeats?.unsubscribe();
    clearInterval(this.watching);
    await this.consumer.stop();
    await this.addressing.stop();
  }

  private async watch(): Promise<void> {
    try {
      for (const id of await this.watcher.timeOutStuck()) this.logger.warn(`instance ${id} failed: it outlived its transition timeout`);
      for (const id of await this.watcher.sweepReservations()) this.logger.log(`released the reservation of instance ${id}`);
      for (const id of await this.watcher.evacuateDownHosts(DOWN_TIMEOUT_MS)) this.logger.warn(`instance ${id} restarts on another host: its host is DOWN`);
      for (const id of await this.watcher.drainMaintenanceHosts()) this.logger.log(`instance ${id} moves off its host, which is in maintenance`);
    } catch (error) {
      this.logger.error(`instance watch failed: ${(error as Error).message}`);
    }
  }

  @MessagePattern('compute.instance.create')
  create(@Payload() payload: Caller & { accountId: string; input: CreateInstanceInput }) {
    return this.instances.create(payload?.accountId, payload?.input, metadataOf(payload));
  }

  @MessagePattern('compute.instance.get')
  async get(@Payload() payload: Caller & { id: string }) {
    return this.instances.get(payload?.id, scopeOf(payload));
  }

  @MessagePattern('compute.instance.list')
  list(@Payload() payload: ListFilter) {
    return this.instances.list({ ...payload, ...scopeOf(payload) });
  }

  @MessagePattern('compute.instance.history')
  history(@Payload() payload: Caller & { id: string; first?: number; after?: string }) {
    return this.instances.history(payload?.id, scopeOf(payload), payload?.first, payload?.after);
  }

  @MessagePattern('compute.instance.start')
  start(@Payload() payload: OperationPayload) {
    return this.operate(payload, { operation: 'start' });
  }

  @MessagePattern('compute.instance.stop')
  stop(@Payload() payload: OperationPayload) {
    return this.operate(payload, { operation: 'stop', force: payload?.force === true });
  }

  @MessagePattern('compute.instance.reboot')
  reboot(@Payload() payload: OperationPayload) {
    return this.operate(payload, { operation: 'reboot' });
  }

  @MessagePattern('compute.instance.resize')
  resize(@Payload() payload: OperationPayload) {
    return this.operate(payload, { operation: 'resize', planId: payload?.planId as string });
  }

  @MessagePattern('compute.instance.delete')
  delete(@Payload() payload: OperationPayload) {
    return this.operate(payload, { operation: 'delete' });
  }

  /** ADMIN only (the gateway checks): moves the instance to `hostId`, or where the scheduler chooses. */
  @MessagePattern('compute.instance.migrate')
  migrate(@Payload() payload: Caller & { id: string; hostId?: string | null }) {
    return this.instances.migrate(payload?.id, payload?.hostId ?? null, scopeOf(payload), metadataOf(payload));
  }

  @MessagePattern('compute.quota.get')
  async quota(@Payload() payload: { accountId: string }) {
    const accountId = String(payload?.accountId);
    const [limits, used] = await Promise.all([this.quotas.limitsOf(accountId), this.quotas.usageOf(accountId)]);
    return { accountId, limits, used };
  }

  @MessagePattern('compute.quota.set')
  setQuota(@Payload() payload: { accountId: string; limits: QuotaLimits }) {
    return this.quotas.set(payload?.accountId, payload?.limits);
  }

  private operate(payload: OperationPayload, request: InstanceOperationRequest) {
    return this.instances.operate(payload?.id, request, scopeOf(payload), metadataOf(payload));
  }
}
