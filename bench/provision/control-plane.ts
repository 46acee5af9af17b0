// `npm run bench:provision -- control-plane`: the control plane's own share of a create, which is what Awan
// adds to the raw tools' time. Compute, network, the relays, NATS and PostgreSQL as in bench:provision, with
// a SIMULATED host (libs/testing) answering every command at once in place of the agent, so that no
// hypervisor's time, nor its noise, is in the figures. BENCH_RUNS creates of each kind one after another
// (compute.instance.create → InstanceStarted published), and the machine's CPU time per create: every
// process's (the services, NATS, PostgreSQL and the bench), from /proc/stat, so run it on a quiet machine.
// And each step's median (`steps`: ms from the request to each of the events that end them, bench/provision/creates.ts).
import { readFileSync } from 'node:fs';
import { connect } from '@nats-io/transport-node';
import { TEST_NATS_URL } from '#libs/testing';
import { startComputeSystem } from '../../apps/compute/test/compute-system.js';
import { createPool } from '#libs/event-store';
import { CREATE_STEPS, createSteps, summary, timedCreate } from './creates.js';

/** CPU time the machine has spent busy, all cores, in ms (/proc/stat's first line, in USER_HZ of 10 ms). */
function busyMs(): number {
  const [, ...fields] = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/);
  const [user, nice, system, , , irq, softirq, steal] = fields.map(Number);
  return (user + nice + system + irq + softirq + steal) * 10;
}

export async function runControlPlaneBench(runs: number): Promise<void> {
  // Addresses back in use at once: a run makes more creates than the test pool holds addresses.
  const system = await startComputeSystem({ IP_QUARANTINE_SECONDS: '0' }, { host: 'simulated' });
  const nats = await connect({ servers: TEST_NATS_URL });
  const db = createPool(system.databaseUrl);
  try {
    const result: Record<string, unknown> = {};
    for (const kind of ['CONTAINER', 'VM'] as const) {
      await timedCreate(system, nats, kind); // once untimed: each service's first of its kind warms its caches
      const samples: number[] = [];
      const steps: Record<string, number[]> = Object.fromEntries(Object.keys(CREATE_STEPS).map((step) => [step, []]));
      let cpuMs = 0;
      for (let i = 0; i < runs; i++) {
        const before = busyMs();
        const create = await timedCreate(system, nats, kind);
        cpuMs += busyMs() - before; // the delete after each create included: it runs untimed, but on the same CPU
        samples.push(create.ms);
        for (const [step, ms] of Object.entries(await createSteps(db, create))) steps[step].push(ms);
      }
      result[kind.toLowerCase()] = {
        ...summary(samples),
        stepsP50Ms: Object.fromEntries(Object.entries(steps).map(([step, ms]) => [step, summary(ms).p50Ms])),
        cpuMsPerCreateAndDelete: Math.round(cpuMs / runs),
      };
    }
    console.log(JSON.stringify({ scope: 'compute.instance.create request → InstanceStarted published, on a simulated host', runs, ...result }, null, 2));
  } finally {
    await db.end();
    await nats.close();
    await system.close();
  }
}
