// What bench:provision's modes share: a create through compute timed to its InstanceStarted, and the figures of a sample.
import type { NatsConnection } from '@nats-io/transport-node';
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

/**
 * Through compute: the create request, its events, the provisioner, the host, until InstanceStarted is
 * published (heard on `nats`). The instance is deleted after, untimed.
 */
export async function timedCreate(system: ComputeSystem, nats: NatsConnection, kind: InstanceKind): Promise<number> {
  const input = kind === 'VM'
    ? { kind, planId: 'vm-512m', imageId: 'dev-blank-disk' }
    : { kind, planId: 'ct-512m', imageId: 'dev-busybox-rootfs' };
  let instanceId = '';
  const subscription = nats.subscribe('events.compute.instance.InstanceStarted');
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
  return ms;
}
