// A host lost with its instances: how long until compute marks it DOWN (detection), and until
// each instance runs again on the other host (recovery), both from the moment of the kill.
// Two hosts of one region on this machine share their instance storage, with the defaults of a
// real deployment: heartbeats every 2 s, fencing after 6 s, DOWN after 10 s. Prints JSON.
// Needs root, LXC, QEMU, PostgreSQL and NATS (DATABASE_URL, NATS_URL as for the tests).
// Usage: npm run bench:failover   (BENCH_INSTANCES, default 8: half containers, half VMs; BENCH_ROUNDS, default 3)
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { EventEnvelope } from '#libs/contracts';
import { connectTestNats, uniqueName, waitFor } from '#libs/testing';
import { startComputeSystem } from '../../apps/compute/test/compute-system.js';
import { probeHost } from '../../apps/host-agent/src/host/host-probe.js';

const INSTANCES = Number(process.env.BENCH_INSTANCES ?? 8);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const probeDir = mkdtempSync(path.join(os.tmpdir(), 'awan-bench-'));
const abilities = await probeHost(probeDir);
rmSync(probeDir, { recursive: true, force: true });
if (process.getuid?.() !== 0 || !abilities.kinds.includes('CONTAINER') || !abilities.kinds.includes('VM')) {
  console.error(`bench/failover needs root, LXC and QEMU: ${abilities.notes.join('; ') || 'not root'}`);
  process.exit(1);
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

const system = await startComputeSystem({
  AGENT_ACCELERATOR: 'tcg', HEARTBEAT_INTERVAL_MS: '2000', HOST_DOWN_TIMEOUT_MS: '10000', FENCE_TIMEOUT_MS: '6000',
});
// compute publishes its host events on JetStream, which core subscribers hear too.
const nats = await connectTestNats();
const hostDowns: { hostId: string; at: number }[] = [];
nats.nats.subscribe('events.compute.host.HostDown', {
  callback: (_error, message) => {
    const event = message.json<EventEnvelope>();
    hostDowns.push({ hostId: (event.data as { hostId: string }).hostId, at: Date.parse(event.occurredAt) });
  },
});
const hosts = [system.hostId, uniqueName('hostb-')];
const detections: number[] = [];
const recoveries: number[] = [];
try {
  await system.startOtherAgent(hosts[1]);
  // Both hosts take part; the instances start on the first (the other is in maintenance meanwhile).
  await system.client.call('compute.host.setMaintenance', { id: hosts[1], maintenance: true });
  const created = await Promise.all(
    Array.from({ length: INSTANCES }, (_, i) =>
      system.instance('create', {
        accountId: 'bench-failover',
        input: i % 2 === 0
          ? { name: uniqueName('fo-ct-'), kind: 'CONTAINER', imageId: 'dev-busybox-rootfs', planId: 'ct-512m', regionId: 'local', billingCycle: 'HOURLY' }
          : { name: uniqueName('fo-vm-'), kind: 'VM', imageId: 'dev-blank-disk', planId: 'vm-512m', regionId: 'local', billingCycle: 'HOURLY' },
      }),
    ),
  );
  for (const instance of created) await system.waitForStatus(instance.id, ['RUNNING'], 180_000);
  await system.client.call('compute.host.setMaintenance', { id: hosts[1], maintenance: false });

  for (let round = 0; round < ROUNDS; round++) {
    const [lost, survivor] = round % 2 === 0 ? hosts : [hosts[1], hosts[0]];
    const killedAt = Date.now();
    await system.killHost(lost);
    await waitFor(async () => {
      const views = await Promise.all(created.map((c) => system.get(c.id)));
      return views.every((v) => v.status === 'RUNNING' && v.hostId === survivor) || undefined;
    }, 120_000, `every instance RUNNING on ${survivor}`);
    // The events' own times: when compute recorded the host DOWN, and each instance's arrival.
    const down = await waitFor(() => hostDowns.find((e) => e.hostId === lost && e.at >= killedAt), 10_000, `HostDown of ${lost}`);
    detections.push(down.at - killedAt);
    for (const instance of created) {
      const history = (await system.instance('history', { id: instance.id, first: 100 })).edges.map((e) => e.node);
      recoveries.push(Date.parse(history.findLast((e) => e.type === 'InstanceMigrated')!.occurredAt) - killedAt);
    }
    // The lost host comes back, empty, ready to be the next round's survivor.
    await system.startOtherAgent(lost, system.agents.get(lost)!.dataDir);
  }
} finally {
  await Promise.all((await system.instance('list', { accountId: 'bench-failover', first: 100 })).edges
    .map((e) => system.instance('delete', { id: e.node.id }).catch(() => undefined)));
  await system.close();
  await nats.close();
}

const summary = (values: number[]) => ({ p50: percentile(values, 50), p95: percentile(values, 95), max: Math.max(...values) });
console.log(JSON.stringify({
  benchmark: 'failover',
  instances: INSTANCES,
  rounds: ROUNDS,
  settings: { heartbeatIntervalMs: 2000, fenceTimeoutMs: 6000, hostDownTimeoutMs: 10_000 },
  detectionMs: summary(detections),
  recoveryMs: summary(recoveries),
}, null, 2));
