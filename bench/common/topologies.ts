// The two ways of running Awan the `-- cluster` benchmarks compare (bench:gateway, bench:provision),
// each started as `npm start` starts it (startTestAwan, as npm run chaos:cluster starts its cluster):
//   single node  one NATS server, one replica of each service, streams of one replica
//   cluster      AWAN_CLUSTER=1: three NATS nodes, two replicas of each service but the agent,
//                every stream and consumer on three (NATS_STREAM_REPLICAS=3)
// Both on this machine's PostgreSQL, with the same connections to it in all (10 per service, 5 per
// replica on the cluster), and one run in each round after the other, every other round the other
// way round, so that neither always follows a fresh start or the other's cleanup.
import { readFileSync } from 'node:fs';
import { cpuMsOf } from './processes.js';
import { descendantProcesses, startTestAwan, type TestAwan, type TestAwanOptions } from '#libs/testing';

export interface Topology {
  name: 'single node' | 'cluster';
  env: NodeJS.ProcessEnv;
}

export const TOPOLOGIES: Topology[] = [
  { name: 'single node', env: { AWAN_CLUSTER: '0', DATABASE_POOL_SIZE: '10' } },
  // Two replicas of each service on one PostgreSQL: half the pool each, the same connections in all.
  { name: 'cluster', env: { AWAN_CLUSTER: '1', DATABASE_POOL_SIZE: '5' } },
];
export const BASELINE_TOPOLOGY: Topology['name'] = 'single node';

/** Round `r`'s order: every other round the other way round. */
export const topologiesOfRound = (r: number): Topology[] => (r % 2 === 0 ? TOPOLOGIES : [...TOPOLOGIES].reverse());

/** Awan as `npm start` runs it in `topology`, with `env` on top; `stop()` removes everything it made. */
export function startTopology(topology: Topology, label: string, env: NodeJS.ProcessEnv = {}, options: TestAwanOptions = {}): Promise<TestAwan> {
  return startTestAwan(`${label}_${topology.name === 'cluster' ? 'cluster' : 'single'}`, { ...env, ...topology.env }, options);
}

/**
 * What reads the CPU time (user + system, ms) Awan's processes have used so far: its supervisor,
 * services, NATS nodes and PostgreSQL where it runs one, as they are when this is called (its
 * processes do not change while it is measured), from /proc/<pid>/stat.
 */
export function awanCpuMs(awan: TestAwan): () => number {
  const pids = descendantProcesses(awan.launcher.pid);
  return () => pids.reduce((sum, pid) => sum + (cpuMsOf(pid) ?? 0), 0); // one gone meanwhile counts nothing
}

export const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
};

/** The `q` quantile of `values` (nearest rank). */
export const quantile = (values: number[], q: number): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
};

/** The machine's load averages (1, 5 and 15 minutes), as `uptime` prints them. */
export const loadAverage = (): string => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
