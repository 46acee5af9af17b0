// What bench:provision's modes share: a create through compute timed to its InstanceStarted, and the figures of a sample.
import type { NatsConnection } from '@nats-io/transport-node';
import type pg from 'pg';
import type { EventEnvelope, InstanceKind } from '#libs/contracts';
import { uniqueName } from '#libs/testing';
import type { ComputeSystem } from '../../apps/compute/test/compute-system.js';

export async function time(work: () => Promise<void>): Promise<number> {
  const started = process.hrtime.bigint();
  await work();
  return Number(process.hrtime.bigint() - started) / 1e6;
}

export function summary(ms: number[]) {
  const sorted = [...ms].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
  return { p50Ms: Math.round(at(0.5)), p95Ms: Math.round(at(0.95)) };
}

/** A create timed through compute, and when it began (Date.now()), for its steps (`createSteps`). */
export interface TimedCreate {
  ms: number;
  instanceId: string;
  startedAt: number;
}

/**
 * Through compute: the create request, its events, the provisioner, the host, until InstanceStarted is
 * published (heard on `nats`). The instance is deleted after, untimed.
 */
export async function timedCreate(system: ComputeSystem, nats: NatsConnection, kind: InstanceKind): Promise<TimedCreate> {
  const input = kind === 'VM'
    ? { kind, planId: 'vm-512m', imageId: 'dev-blank-disk' }
    : { kind, planId: 'ct-512m', imageId: 'dev-busybox-rootfs' };
  let instanceId = '';
  const subscription = nats.subscribe('events.compute.instance.InstanceStarted');
  const startedAt = Date.now();
  const ms = await time(async () => {
    const instance = await system.instance('create', {
      accountId: 'bench', input: { ...input, name: uniqueName('bench-'), regionId: 'local', billingCycle: 'HOURLY' },
    });
    instanceId = instance.id;
    for await (const message of subscription) {
      if (message.json<EventEnvelope>().streamId === `instance-${instanceId}`) break;
    }
  });
  subscription.unsubscribe();
  await system.instance('delete', { id: instanceId });
  await system.waitForStatus(instanceId, ['DELETED']);
  return { ms, instanceId, startedAt };
}

/**
 * The steps of a create, each the event that ends it as the service appending it stamped it
 * (`occurredAt`, as its transaction appended it, before the commit), in ms from the request: where
 * the control plane's share of a create goes.
 */
export const CREATE_STEPS = {
  /** the request to compute, the catalog's lookups and compute's transaction up to its append: the account's lock, quota, a host reserved (InstanceScheduled). */
  computeDecided: ['compute', 'InstanceScheduled'],
  /** compute's commit, its relay, the provisioner's delivery, its request to network and network's transaction (InstanceAddressesAllocated). */
  networkDecided: ['network', 'InstanceAddressesAllocated'],
  /** network's commit and reply, compute's record of the addresses (InstanceAddressed). */
  addressesRecorded: ['compute', 'InstanceAddressed'],
  /** the host asked and answering, compute's record of it (InstanceStarted). */
  startedRecorded: ['compute', 'InstanceStarted'],
} as const;

export async function createSteps(db: pg.Pool, { instanceId, startedAt }: TimedCreate): Promise<Record<keyof typeof CREATE_STEPS, number>> {
  const { rows } = await db.query<{ schema: string; type: string; at: Date }>(
    `SELECT 'compute' AS schema, type, occurred_at AS at FROM compute.events WHERE stream_id = $1
     UNION ALL SELECT 'network', type, occurred_at FROM network.events WHERE stream_id = $1`,
    [`instance-${instanceId}`],
  );
  const at = (schema: string, type: string) => {
    const event = rows.find((row) => row.schema === schema && row.type === type);
    if (!event) throw new Error(`instance ${instanceId} has no ${schema} ${type}`);
    return event.at.getTime() - startedAt;
  };
  return Object.fromEntries(Object.entries(CREATE_STEPS).map(([step, [schema, type]]) => [step, at(schema, type)])) as Record<keyof typeof CREATE_STEPS, number>;
}
