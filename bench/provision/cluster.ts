// npm run bench:provision -- cluster: provisioning on Awan as `npm start` runs it on a single node
// and as a cluster (bench/common/topologies.ts), with this machine's agent, in BENCH_ROUNDS rounds
// (4) whose order alternates, each topology started afresh in each. Timed through the public API:
// from createInstance sent to the gateway until compute's InstanceStarted is published (seen on
// NATS), for a container and a VM in turn, BENCH_RUNS (20) of each over the rounds, each deleted
// before the next; then throughput: BENCH_BURST (5) containers created at once, until the last has
// started. Prints each topology's p50 and p99 and throughput, and the ratios cluster/single node.
import { connect, type NatsConnection } from '@nats-io/transport-node';
import type { EventEnvelope } from '#libs/contracts';
import { credentialsOptions } from '#libs/nats-auth';
import { connectServiceClient, GraphqlClient, uniqueName, type TestAwan } from '#libs/testing';
import { runProgram } from '../../apps/host-agent/src/host/program.js';
import { BASELINE_TOPOLOGY, loadAverage, median, quantile, startTopology, TOPOLOGIES, topologiesOfRound, type Topology } from '../common/topologies.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 4);
const RUNS = Number(process.env.BENCH_RUNS ?? 20);
const BURST = Number(process.env.BENCH_BURST ?? 5);
const runsPerRound = Math.max(1, Math.round(RUNS / ROUNDS));
const log = (line: string) => console.error(`bench/provision: ${line}`);
const round = (n: number, places = 0) => Math.round(n * 10 ** places) / 10 ** places;

type Kind = 'CONTAINER' | 'VM';
const INPUT: Record<Kind, string> = {
  CONTAINER: 'kind: CONTAINER, planId: "ct-512m", imageId: "dev-busybox-rootfs"',
  VM: 'kind: VM, planId: "vm-512m", imageId: "dev-blank-disk"',
};

/** compute's instance events as NATS carries them: when each (instance, type) was seen. */
class InstanceEvents {
  private readonly seen = new Map<string, number>();
  private readonly waiting = new Map<string, () => void>();
  private constructor(private readonly nats: NatsConnection) {
    void (async () => {
      for await (const message of nats.subscribe('events.compute.instance.>')) {
        const envelope = message.json<EventEnvelope>();
        const key = `${envelope.streamId} ${envelope.type}`;
        if (this.seen.has(key)) continue;
        this.seen.set(key, performance.now());
        this.waiting.get(key)?.();
      }
    })();
  }

  static async connect(awan: TestAwan): Promise<InstanceEvents> {
    // The gateway's credentials: it follows compute's instance events, as instanceUpdated does.
    const nats = await connect({ servers: awan.natsUrl.split(','), name: 'provision-bench', ...credentialsOptions(awan.natsCredentials('gateway')) });
    const events = new InstanceEvents(nats);
    await nats.flush();
    return events;
  }

  /** When `type` was seen for instance `id`, once it has been. */
  async when(id: string, type: string, timeoutMs = 120_000): Promise<number> {
    const key = `instance-${id} ${type}`;
    if (!this.seen.has(key)) {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no ${type} for instance ${id} within ${timeoutMs / 1000} s`)), timeoutMs);
        this.waiting.set(key, () => (clearTimeout(timer), resolve()));
      });
      this.waiting.delete(key);
    }
    return this.seen.get(key)!;
  }

  close(): Promise<void> {
    return this.nats.close();
  }
}

interface TopologyRound {
  topology: Topology['name'];
  load: string;
  containerMs: number[];
  vmMs: number[];
  /** BURST containers created at once: from the first request sent until the last one's InstanceStarted. */
  burstSeconds: number;
}

async function runTopology(topology: Topology): Promise<TopologyRound> {
  const awan = await startTopology(topology, 'bench_prov', { RATE_LIMIT_PER_SECOND: '1000000', RATE_LIMIT_BURST: '1000000' }, { localAgent: true });
  const bridge = uniqueName('awbr');
  const created: string[] = [];
  let events: InstanceEvents | undefined;
  let customer: GraphqlClient | undefined;
  try {
    // The seeded development pools (awanbr0, 203.0.113.128/25) make way for pools on a bridge of this run's own, in RFC 2544's benchmarking range.
    const operator = await connectServiceClient('provision-bench', awan.natsUrl, awan.natsCredentials('gateway'));
    try {
      for (const id of ['local-ipv4', 'local-ipv6']) await operator.client.call('network.pool.retire', { id });
      await operator.client.call('network.pool.create', { input: { id: 'bench-ipv4', regionId: 'local', prefix: '198.19.100.0/24', gateway: '198.19.100.1', bridge } });
      await operator.client.call('network.pool.create', { input: { id: 'bench-ipv6', regionId: 'local', prefix: '2001:db8:9b0e::/64', gateway: '2001:db8:9b0e::1', bridge } });
    } finally {
      await operator.close();
    }
    events = await InstanceEvents.connect(awan);
    const admin = new GraphqlClient(awan.url, awan.adminKey);
    const account = await admin.data(`mutation { createAccount(input: { name: "bench", kind: CUSTOMER }) { apiKey { secret } } }`);
    const api = (customer = new GraphqlClient(awan.url, account.createAccount.apiKey.secret as string));

    /** createInstance, asked again while billing does not know the new account yet (UNAVAILABLE); its id and when it was sent. */
    const create = async (kind: Kind): Promise<{ id: string; sent: number }> => {
      for (;;) {
        const sent = performance.now();
        const response = await api.request<{ createInstance: { id: string } }>(
          `mutation { createInstance(input: { name: "${uniqueName('bench-')}", ${INPUT[kind]}, regionId: "local", billingCycle: HOURLY }) { id } }`,
        );
        if (response.data?.createInstance) {
          created.push(response.data.createInstance.id);
          return { id: response.data.createInstance.id, sent };
        }
        if (response.errors?.[0]?.extensions?.code !== 'UNAVAILABLE') throw new Error(`createInstance answered ${JSON.stringify(response.errors)}`);
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    };
    const remove = async (id: string) => {
      await api.data(`mutation { deleteInstance(id: "${id}") { id } }`);
      await events!.when(id, 'InstanceDeleted');
      created.splice(created.indexOf(id), 1);
    };
    const timed = async (kind: Kind) => {
      const { id, sent } = await create(kind);
      const started = await events!.when(id, 'InstanceStarted');
      await remove(id);
      return started - sent;
    };

    // The agent builds the development images on first use: once before timing.
    await timed('CONTAINER');
    await timed('VM');
    const load = loadAverage();
    log(`measuring the ${topology.name} (load ${load})`);
    const containerMs: number[] = [];
    const vmMs: number[] = [];
    for (let i = 0; i < runsPerRound; i++) {
      containerMs.push(await timed('CONTAINER'));
      vmMs.push(await timed('VM'));
    }
    const first = performance.now();
    const burst = await Promise.all(Array.from({ length: BURST }, () => create('CONTAINER')));
    const last = Math.max(...(await Promise.all(burst.map(({ id }) => events!.when(id, 'InstanceStarted')))));
    for (const { id } of burst) await remove(id);
    return { topology: topology.name, load, containerMs, vmMs, burstSeconds: (last - first) / 1000 };
  } finally {
    for (const id of [...created]) {
      await customer?.data(`mutation { deleteInstance(id: "${id}") { id } }`).then(() => events?.when(id, 'InstanceDeleted'), () => undefined)
        .catch((error: Error) => log(`deleting ${id}: ${error.message}`));
    }
    await events?.close();
    await awan.stop();
    await runProgram('ip', ['link', 'delete', 'dev', bridge]).catch(() => undefined);
  }
}

export async function runClusterBench(): Promise<void> {
  const rounds: TopologyRound[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    for (const topology of topologiesOfRound(r)) {
      log(`round ${r + 1} of ${ROUNDS}: the ${topology.name}`);
      rounds.push(await runTopology(topology));
    }
  }
  const of = (name: Topology['name']) => rounds.filter((r) => r.topology === name);
  const latency = (ms: number[]) => ({ p50Ms: Math.round(quantile(ms, 0.5)), p99Ms: Math.round(quantile(ms, 0.99)) });
  const figures = (name: Topology['name']) => {
    const mine = of(name);
    return {
      container: latency(mine.flatMap((r) => r.containerMs)),
      vm: latency(mine.flatMap((r) => r.vmMs)),
      // BURST containers at once, the median of the rounds.
      burstContainersPerSecond: round(median(mine.map((r) => BURST / r.burstSeconds)), 2),
    };
  };
  const byTopology = Object.fromEntries(TOPOLOGIES.map(({ name }) => [name, figures(name)]));
  const single = of(BASELINE_TOPOLOGY);
  const cluster = of('cluster');
  /** The median of each round's cluster figure against that round's single node's. */
  const ratio = (pick: (r: TopologyRound) => number) => round(median(cluster.map((c, i) => pick(c) / pick(single[i]))), 3);
  const clusterToSingle = {
    containerP50: ratio((r) => quantile(r.containerMs, 0.5)),
    vmP50: ratio((r) => quantile(r.vmMs, 0.5)),
    // Throughput: the rounds' creates per second, sequential (1 / p50) and at once.
    containerThroughput: ratio((r) => 1 / quantile(r.containerMs, 0.5)),
    vmThroughput: ratio((r) => 1 / quantile(r.vmMs, 0.5)),
    burstThroughput: ratio((r) => BURST / r.burstSeconds),
  };
  const aim = 0.7;
  console.log(JSON.stringify({
    scope: `createInstance sent to the gateway → InstanceStarted published, on Awan as npm start runs it with this machine's agent: ${TOPOLOGIES.map((t) => t.name).join(' and ')}, each started afresh in each of ${ROUNDS} rounds; ${runsPerRound * ROUNDS} sequential runs of each kind per topology, then ${BURST} containers at once in each round`,
    ...byTopology,
    clusterToSingle,
    aim: `cluster/single node throughput at least ${aim}`,
    met: clusterToSingle.containerThroughput >= aim && clusterToSingle.vmThroughput >= aim && clusterToSingle.burstThroughput >= aim,
    rounds: rounds.map((r) => ({ ...r, containerMs: r.containerMs.map((ms) => Math.round(ms)), vmMs: r.vmMs.map((ms) => Math.round(ms)), burstSeconds: round(r.burstSeconds, 2) })),
  }, null, 2));
}
