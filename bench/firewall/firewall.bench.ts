// Firewalls' cost, three ways:
//   load         the host agent's HostFirewall (apps/host-agent/src/firewalls): one instance's filter of
//                RULES rules changed alone on the host (p50, max of 10); INSTANCES instances' filters
//                (fake ports) loaded in one transaction into empty tables, again (an agent's start),
//                one instance's changed beside the others (p50, max of 10), one removed, all removed
//   throughput   one TCP stream (Node, both ends on one CPU at nice -20, 1 MiB writes, SECONDS long)
//                between two instances' ports on one bridge: unfiltered (no agent table),
//                anti-spoofing only, and RULES rules each (the rule that allows the stream last of
//                each way; a port no rule allows is checked dropped first), ROUNDS rounds each
//                running all three: Gbit/s and the CPU seconds per GB both ends' processes spent
//                (the kernel's bridging and filtering in their context included), medians, and each
//                round's figure against its unfiltered one (median)
//   enforcement  Awan as npm start runs it (startTestAwan: its own NATS and database, this machine's
//                agent), a busybox container serving TCP on two ports with a firewall of RULES rules
//                attached, and a client in a network namespace of its own on the container's bridge:
//                CHANGES times setFirewallRules moves the one rule that lets the client in to the
//                other port, timed from just before the mutation is sent until the client's first
//                connection to the newly allowed port is answered (a new attempt every PROBE_STEP_MS),
//                the port left checked dropped after: p50/p95/max, and how long the mutation took to answer
// load and throughput run in a network namespace of their own standing for a fresh host (its own
// nftables ruleset: no other agent's tables, no connection tracking it did not ask for), each end of
// the stream in a namespace of its own as a container's is, its veth on that host's bridge.
// Needs root with nft, LXC, PostgreSQL (DATABASE_URL as for the tests) and nats-server on PATH. Prints JSON last.
// Usage: npm run bench:firewall [-- load|throughput|enforcement ...] (all three by default)
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { FirewallRule, InstanceFilter } from '#libs/contracts';
import { GraphqlClient, missingHardware, runCommand, startTestAwan, waitFor } from '#libs/testing';
import { HostFirewall } from '../../apps/host-agent/src/firewalls/host-firewall.js';
import { type PortFilter, renderRuleset } from '../../apps/host-agent/src/firewalls/nft-ruleset.js';
import { macFor } from '../../apps/host-agent/src/instances/instance-spec.js';
import { filterRuleOf } from '../../apps/network/src/firewalls/firewall-rules.js';

const CHANGES = 20;
const PROBE_STEP_MS = 5;
const INSTANCES = 1000;
const RULES = 50;
const ROUNDS = 15;
const SECONDS = 2;
/** The port the rules under test allow (the other rules never name it, nor the enforcement's two). */
const STREAM_PORT = 9000;
const SERVED_PORTS = [8080, 8081] as const;

const PARTS = ['load', 'throughput', 'enforcement'] as const;
type Part = (typeof PARTS)[number];
/** Run as `--in-host <tag> <parts…>`: this process is the fresh host's side, inside its namespace. */
const IN_HOST = '--in-host';

const log = (line: string) => console.error(`bench/firewall: ${line}`);
const round = (n: number, places = 0) => Math.round(n * 10 ** places) / 10 ** places;
/** Nearest rank: the smallest value with at least p % of them at or below it. */
const percentile = (sorted: number[], p: number) => sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)];
const median = (values: number[]) => percentile([...values].sort((a, b) => a - b), 50);
const now = () => process.hrtime.bigint();
const msSince = (started: bigint) => Number(now() - started) / 1e6;
const ANYONE = ['0.0.0.0/0', '::/0'];

/**
 * A firewall of RULES rules as a customer writes one, in the API's terms: a spread of TCP ports and
 * ranges, UDP and ICMP, from anyone, networks and single addresses (none naming `port`, none of
 * them `peer`'s), then the two that matter: `port` from `peer` in, and to `peer` out, last.
 */
function fiftyRules(peer: string, port: number): FirewallRule[] {
  const rule = (direction: FirewallRule['direction'], protocol: FirewallRule['protocol'], ports: string | null, addresses: string[]): FirewallRule =>
    ({ direction, protocol, ports, addresses, description: null });
  const ingress = Array.from({ length: 39 }, (_, k) => [
    rule('INGRESS', 'TCP', String(1000 + k), ANYONE),
    rule('INGRESS', 'TCP', `${2000 + 10 * k}-${2009 + 10 * k}`, ['198.51.100.0/24', '2001:db8:fb::/48']),
    rule('INGRESS', 'UDP', String(5000 + k), [`198.51.100.${200 + k}/32`, `2001:db8:fb::${k.toString(16)}/128`]),
    rule('INGRESS', 'TCP', String(6000 + k), ['203.0.113.128/26']),
    rule('INGRESS', 'ICMP', null, ['198.51.100.0/25']),
  ][k % 5]);
  const egress = Array.from({ length: 9 }, (_, k) => [
    rule('EGRESS', 'TCP', '443', ANYONE),
    rule('EGRESS', 'UDP', '53', ['198.51.100.53/32', '2001:db8:fb::53/128']),
    rule('EGRESS', 'TCP', String(7000 + k), ['198.51.100.0/24']),
  ][k % 3]);
  return [...ingress, ...egress, rule('INGRESS', 'TCP', String(port), [`${peer}/32`]), rule('EGRESS', 'TCP', String(port), [`${peer}/32`])];
}

function filterOf(instanceId: string, addresses: string[], rules: FirewallRule[] | null): InstanceFilter {
  const way = (direction: FirewallRule['direction']) => rules!.filter((r) => r.direction === direction).map(filterRuleOf);
  return { instanceId, revision: 1, addresses, firewall: rules && { ingress: way('INGRESS'), egress: way('EGRESS') } };
}

/** Fake instances' ids, whose MACs (macFor: their first hex digits) differ too. */
const instanceId = (index: number) => `${index.toString(16).padStart(6, '0')}fb-0000-4000-8000-000000000000`;

async function timed(what: string, work: () => Promise<unknown>): Promise<number> {
  const started = now();
  await work();
  const ms = msSince(started);
  log(`${what}: ${round(ms)} ms`);
  return round(ms);
}

/** INSTANCES instances' filters on one host's firewall, fake ports (no traffic): the nft transactions alone. */
async function load(tag: string) {
  const firewall = new HostFirewall(`awan-fwbench-${tag}`);
  const ports: PortFilter[] = Array.from({ length: INSTANCES }, (_, index) => {
    const id = instanceId(index);
    const own = [`198.51.100.${(index % 250) + 1}`, `2001:db8:fb:1::${index.toString(16)}`];
    return { port: `awvbench${index.toString(16).padStart(4, '0')}`, mac: macFor(id), filter: filterOf(id, own, fiftyRules('198.51.100.254', STREAM_PORT)) };
  });
  const ruleset = renderRuleset({ name: firewall.tableName, replies: await firewall.replyMatch() }, ports);
  const nftRules = ruleset.split('\n').filter((line) => line.startsWith('add rule')).length;
  log(`${INSTANCES} instances × ${RULES} rules: ${nftRules} nft rules, a ${round(ruleset.length / 1e6, 1)} MB ruleset`);
  /** Ten changes of one instance's filter (each its rule for the stream on another port), timed: p50 and max. */
  const changeOne = async (what: string, port: PortFilter) => {
    const changes: number[] = [];
    for (let i = 0; i < 10; i++) {
      const firewallNow = filterOf(port.filter.instanceId, port.filter.addresses, fiftyRules('198.51.100.253', STREAM_PORT + 1 + i)).firewall;
      changes.push(await timed(what, () => firewall.enforce([{ ...port, filter: { ...port.filter, revision: 2 + i, firewall: firewallNow } }])));
    }
    return { p50: median(changes), max: Math.max(...changes) };
  };
  try {
    const alone = await changeOne("one instance's filter changed, alone on the host", ports[0]);
    await firewall.reconcile([]);
    const first = await timed(`${INSTANCES} instances' filters loaded into empty tables`, () => firewall.reconcile(ports));
    const held = (await firewall.heldPorts()).size;
    if (held !== INSTANCES) throw new Error(`the tables hold ${held} ports, not ${INSTANCES}`);
    const again = await timed(`${INSTANCES} instances' filters loaded again (an agent's start)`, () => firewall.reconcile(ports));
    const beside = await changeOne(`one instance's filter changed beside ${INSTANCES - 1} others`, ports[500]);
    const removeOne = await timed(`one instance's rules removed beside ${INSTANCES - 1} others`, () => firewall.remove([ports[500].filter.instanceId]));
    const removeAll = await timed('every instance\'s rules removed', () => firewall.reconcile([]));
    return {
      instances: INSTANCES, rulesEach: RULES, nftRules, rulesetMb: round(ruleset.length / 1e6, 1), replies: await firewall.replyMatch(),
      loadMs: first, reloadMs: again, oneChangedAloneMs: alone, oneChangedBesideOthersMs: beside, oneRemovedMs: removeOne, allRemovedMs: removeAll,
    };
  } finally {
    await firewall.reconcile([]).catch(() => undefined);
  }
}

/** A program in a network namespace, its output read line by line. */
function inNamespace(ns: string, args: string[]) {
  const child = spawn('ip', ['netns', 'exec', ns, ...args], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines: string[] = [];
  const waiters = new Set<() => void>();
  createInterface({ input: child.stdout! }).on('line', (line) => {
    lines.push(line);
    for (const waiter of [...waiters]) waiter();
  });
  child.on('exit', () => {
    for (const waiter of [...waiters]) waiter();
  });
  return {
    child,
    /** The first line (from `from` on) that `match` accepts. */
    line(match: (line: string) => boolean, timeoutMs: number, what: string, from = 0): Promise<string> {
      return new Promise((resolve, reject) => {
        const check = () => {
          const found = lines.slice(from).find(match);
          if (found !== undefined || child.exitCode !== null || child.signalCode !== null) {
            clearTimeout(timer);
            waiters.delete(check);
            if (found !== undefined) resolve(found);
            else reject(new Error(`${what}: the program in ${ns} exited (${child.exitCode ?? child.signalCode})`));
          }
        };
        const timer = setTimeout(() => (waiters.delete(check), reject(new Error(`timed out waiting for ${what}`))), timeoutMs);
        waiters.add(check);
        check();
      });
    },
    count: () => lines.length,
  };
}

/**
 * Both ends of the stream on one CPU (the last), at the highest priority: the rate is then what one
 * CPU does of the senders', receivers' and kernel's work (bridging, filtering), which is what a
 * filter's cost takes from, and what else this machine runs meanwhile takes little of it.
 */
const FOREMOST = ['nice', '-n', '-20', 'taskset', '-c', String(os.cpus().length - 1)];

/** The receiving end: the bytes, the seconds from the first to the end, and the CPU its process spent meanwhile (the kernel's work on its behalf too). */
const RECEIVER = `const [host, port] = process.argv.slice(1);
process.getBuiltinModule('node:net').createServer((socket) => {
  let bytes = 0, first = 0n, cpu;
  socket.on('data', (chunk) => { if (!first) (first = process.hrtime.bigint()), (cpu = process.cpuUsage()); bytes += chunk.length; });
  socket.on('end', () => {
    const { user, system } = process.cpuUsage(cpu);
    console.log(JSON.stringify({ bytes, seconds: Number(process.hrtime.bigint() - first) / 1e9, cpuSeconds: (user + system) / 1e6 }));
    process.exit(0);
  });
}).listen(Number(port), host, () => console.log('listening'));`;

/** The sending end: 1 MiB writes for as long as it is told, then the CPU its process spent. */
const SENDER = `const [host, port, seconds] = process.argv.slice(1);
const chunk = Buffer.alloc(1 << 20);
let cpu;
const socket = process.getBuiltinModule('node:net').connect({ host, port: Number(port) }, () => {
  cpu = process.cpuUsage();
  const until = Date.now() + Number(seconds) * 1000;
  const pump = () => { while (Date.now() < until) if (!socket.write(chunk)) return void socket.once('drain', pump); socket.end(); };
  pump();
});
socket.on('error', (error) => { console.error(error.message); process.exit(1); });
socket.on('close', () => { const { user, system } = process.cpuUsage(cpu); console.log(JSON.stringify({ cpuSeconds: (user + system) / 1e6 })); process.exit(0); });`;

/** Two instances' ports on one bridge of this (fresh) host, their traffic timed under each filtering. */
async function throughput(tag: string) {
  const bridge = 'awfbbr0';
  const endpoints = (['a', 'b'] as const).map((side, i) => {
    const id = instanceId(0xfb00 + i);
    return { ns: `awfb-${side}-${tag}`, port: `awvfb${side}${tag}`, id, mac: macFor(id), ip: `198.51.100.${11 + i}` };
  });
  const [a, b] = endpoints;
  const firewall = new HostFirewall(`awan-fwbench-${tag}`);
  await runCommand('ip', ['link', 'add', bridge, 'type', 'bridge']);
  await runCommand('ip', ['link', 'set', bridge, 'up']);
  for (const end of endpoints) {
    await runCommand('ip', ['netns', 'add', end.ns]);
    await runCommand('ip', ['link', 'add', end.port, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', end.ns]);
    await runCommand('ip', ['link', 'set', end.port, 'master', bridge, 'up']);
    await runCommand('ip', ['-n', end.ns, 'link', 'set', 'eth0', 'address', end.mac]);
    await runCommand('ip', ['-n', end.ns, 'address', 'add', `${end.ip}/24`, 'dev', 'eth0']);
    for (const link of ['eth0', 'lo']) await runCommand('ip', ['-n', end.ns, 'link', 'set', link, 'up']);
  }
  /** Each filtering, and what a connection to a port the rules do not allow (nothing listens there) comes to under it. */
  const modes: Record<string, { apply: () => Promise<void>; otherPort: string }> = {
    unfiltered: { apply: () => firewall.reconcile([]), otherPort: 'refused' },
    antiSpoofing: {
      apply: () => firewall.reconcile(endpoints.map((end) => ({ port: end.port, mac: end.mac, filter: filterOf(end.id, [end.ip], null) }))),
      otherPort: 'refused',
    },
    [`rules${RULES}`]: {
      apply: () => firewall.reconcile([
        { port: a.port, mac: a.mac, filter: filterOf(a.id, [a.ip], fiftyRules(b.ip, STREAM_PORT)) },
        { port: b.port, mac: b.mac, filter: filterOf(b.id, [b.ip], fiftyRules(a.ip, STREAM_PORT)) },
      ]),
      otherPort: 'dropped',
    },
  };
  const otherPort = async () => {
    const probe = inNamespace(a.ns, [process.execPath, '-e', PROBER, b.ip, String(PROBE_STEP_MS)]);
    try {
      probe.child.stdin!.write(`reach ${STREAM_PORT + 1} 300\n`);
      return (await probe.line((l) => l.startsWith('reach '), 10_000, 'a connection to another port')).split(' ')[2];
    } finally {
      probe.child.kill();
    }
  };
  const stream = async () => {
    const receiver = inNamespace(b.ns, [...FOREMOST, process.execPath, '-e', RECEIVER, b.ip, String(STREAM_PORT)]);
    try {
      await receiver.line((l) => l === 'listening', 10_000, 'the receiver');
      const sender = inNamespace(a.ns, [...FOREMOST, process.execPath, '-e', SENDER, b.ip, String(STREAM_PORT), String(SECONDS)]);
      const failed = new Promise<never>((_, reject) => sender.child.on('exit', (code) => code && reject(new Error(`the sender failed (${code})`))));
      const ended = (side: typeof sender) => side.line((l) => l.startsWith('{'), (SECONDS + 30) * 1000, 'the stream to end');
      const [received, sent] = (await Promise.race([Promise.all([ended(receiver), ended(sender)]), failed])).map((line) => JSON.parse(line));
      return { gbps: (received.bytes * 8) / received.seconds / 1e9, cpuSecondsPerGb: (received.cpuSeconds + sent.cpuSeconds) / (received.bytes / 1e9) };
    } finally {
      receiver.child.kill();
    }
  };
  const gbps: Record<string, number[]> = Object.fromEntries(Object.keys(modes).map((mode) => [mode, []]));
  const cpu: Record<string, number[]> = Object.fromEntries(Object.keys(modes).map((mode) => [mode, []]));
  try {
    for (let roundNo = 0; roundNo < ROUNDS; roundNo++) {
      // Each round runs every filtering once, starting with a different one: what else loads the machine meanwhile falls on all alike.
      const names = Object.keys(modes);
      for (const mode of [...names.slice(roundNo % names.length), ...names.slice(0, roundNo % names.length)]) {
        await modes[mode].apply();
        const other = await otherPort();
        if (other !== modes[mode].otherPort) throw new Error(`${mode}: a connection to a port no rule allows was ${other}, not ${modes[mode].otherPort}`);
        const measured = await stream();
        gbps[mode].push(round(measured.gbps, 2));
        cpu[mode].push(round(measured.cpuSecondsPerGb, 3));
      }
      log(`round ${roundNo + 1}/${ROUNDS}: ${names.map((mode) => `${mode} ${gbps[mode][roundNo]} Gbit/s (${cpu[mode][roundNo]} CPU s/GB)`).join(', ')}`);
    }
  } finally {
    await firewall.reconcile([]).catch(() => undefined);
    for (const end of endpoints) await runCommand('ip', ['netns', 'delete', end.ns]).catch(() => undefined);
  }
  const filtered = Object.keys(modes).filter((mode) => mode !== 'unfiltered');
  /** Each round's figure against that round's unfiltered one: the median. */
  const ratios = (figures: Record<string, number[]>, invert: boolean) =>
    Object.fromEntries(filtered.map((mode) => [mode, round(median(figures[mode].map((value, i) => (invert ? figures.unfiltered[i] / value : value / figures.unfiltered[i]))), 2)]));
  const medians = (figures: Record<string, number[]>) => Object.fromEntries(Object.entries(figures).map(([mode, runs]) => [mode, median(runs)]));
  return {
    seconds: SECONDS, rounds: ROUNDS, gbitPerSecond: gbps, cpuSecondsPerGb: cpu,
    medianGbitPerSecond: medians(gbps), medianCpuSecondsPerGb: medians(cpu),
    /** The rate against unfiltered, and the same from the CPU each byte took (what bounds the rate where the CPU is the limit, as here). */
    ratioToUnfiltered: { byRate: ratios(gbps, false), byCpu: ratios(cpu, true) },
  };
}

/** The fresh host's side (inside its namespace): answers its parts' figures as the last line. */
async function inHost(tag: string, parts: Part[]) {
  const figures: Record<string, unknown> = {};
  if (parts.includes('load')) figures.load = await load(tag);
  if (parts.includes('throughput')) figures.throughput = await throughput(tag);
  console.log(JSON.stringify(figures));
}

/** Runs this file again in a new namespace for `parts`, and removes the namespaces it made, whatever happened. */
async function onFreshHost(parts: Part[]): Promise<Record<string, unknown>> {
  const tag = randomBytes(3).toString('hex');
  const ns = `awfb-host-${tag}`;
  await runCommand('ip', ['netns', 'add', ns]);
  try {
    const host = inNamespace(ns, [process.execPath, ...process.execArgv, fileURLToPath(import.meta.url), IN_HOST, tag, ...parts]);
    const figures = await host.line((l) => l.startsWith('{'), 30 * 60_000, 'the fresh host\'s figures');
    return JSON.parse(figures) as Record<string, unknown>;
  } finally {
    for (const name of [ns, `awfb-a-${tag}`, `awfb-b-${tag}`]) await runCommand('ip', ['netns', 'delete', name]).catch(() => undefined);
  }
}

/** Nothing of the bench ever goes to 203.0.113.0/25, which this machine may use (README, Tests). */
function outsideMachinesNetwork(address: string): string {
  const [a, b, c, d] = address.split('.').map(Number);
  if (a === 203 && b === 0 && c === 113 && d < 128) throw new Error(`${address} is in 203.0.113.0/25, which this machine may use`);
  return address;
}

/**
 * The client's connections, from its namespace, one command a line on stdin:
 * `open <port>`: a new connection every step until one is answered: prints `open <port> <monotonic ns>` (the clock the bench reads too);
 * `reach <port> <ms>`: one connection: prints `reach <port> served|refused|dropped`.
 */
const PROBER = `const net = process.getBuiltinModule('node:net');
const [host, step] = process.argv.slice(1);
const attempt = (port, ms, done) => {
  const socket = net.connect({ host, port });
  const timer = setTimeout(() => (socket.destroy(), done('dropped')), ms);
  socket.on('connect', () => (clearTimeout(timer), socket.destroy(), done('served')));
  socket.on('error', (error) => (clearTimeout(timer), done(error.code === 'ECONNREFUSED' ? 'refused' : error.code)));
};
process.getBuiltinModule('node:readline').createInterface({ input: process.stdin }).on('line', (line) => {
  const [command, port, ms] = line.split(' ');
  if (command === 'reach') return attempt(Number(port), Number(ms), (outcome) => console.log('reach ' + port + ' ' + outcome));
  let answered = false;
  const timer = setInterval(() => attempt(Number(port), 200, (outcome) => {
    if (outcome !== 'served' || answered) return;
    answered = true;
    clearInterval(timer);
    console.log('open ' + port + ' ' + process.hrtime.bigint());
  }), Number(step));
});`;

/** setFirewallRules through the API to a connection answered on the host's bridge. */
async function enforcement() {
  log('starting Awan (npm start, this machine\'s agent)');
  const awan = await startTestAwan('bench_firewall');
  const tag = randomBytes(3).toString('hex');
  const ns = `awfb-client-${tag}`;
  const hostEnd = `awfbc${tag}`;
  let prober: ReturnType<typeof inNamespace> | undefined;
  try {
    const api = new GraphqlClient(awan.url);
    const admin = api.as(awan.adminKey);
    const customer = api.as((await admin.data('mutation { createAccount(input: { name: "Firewall Bench", kind: CUSTOMER }) { apiKey { secret } } }')).createAccount.apiKey.secret);
    const statusIs = (id: string, status: string) =>
      waitFor(async () => (await customer.data(`{ instance(id: "${id}") { status } }`)).instance.status === status || undefined, 120_000, `the container to be ${status}`);
    const input = '{ name: "fw-bench", kind: CONTAINER, imageId: "dev-busybox-rootfs", planId: "ct-512m", regionId: "local", billingCycle: HOURLY }';
    const id = (await customer.data(`mutation { createInstance(input: ${input}) { id } }`)).createInstance.id as string;
    await statusIs(id, 'RUNNING');
    const { instance } = await customer.data(`{ instance(id: "${id}") { ipAddresses { address family } } }`);
    const containerIp = outsideMachinesNetwork(instance.ipAddresses.find((ip: { family: string }) => ip.family === 'IPV4').address);
    const inContainer = (script: string) => runCommand('lxc-attach', ['-P', path.join(awan.dataDir, 'agent', 'instances'), '-n', id, '--', '/bin/sh', '-c', script]);

    // The client: on the container's bridge with an address of its pool no instance has (the customer's, unassigned).
    const { ipPools } = await admin.data('{ ipPools(regionId: "local") { family cidr bridge retiredAt } }');
    const pool = ipPools.find((p: { family: string; retiredAt: string | null }) => p.family === 'IPV4' && !p.retiredAt);
    const clientIp = outsideMachinesNetwork((await customer.data('mutation { allocateIp(input: { regionId: "local", family: IPV4 }) { address } }')).allocateIp.address);
    await runCommand('ip', ['netns', 'add', ns]);
    await runCommand('ip', ['link', 'add', hostEnd, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns]);
    await runCommand('ip', ['link', 'set', hostEnd, 'master', pool.bridge, 'up']);
    await runCommand('ip', ['-n', ns, 'address', 'add', `${clientIp}/${pool.cidr.split('/')[1]}`, 'dev', 'eth0']);
    for (const link of ['eth0', 'lo']) await runCommand('ip', ['-n', ns, 'link', 'set', link, 'up']);
    // Every Awan on this machine puts its containers on this bridge from the same pool: the client talks to this one's MAC only.
    const containerMac = (await inContainer('cat /sys/class/net/eth0/address')).trim();
    await runCommand('ip', ['-n', ns, 'neigh', 'replace', containerIp, 'lladdr', containerMac, 'dev', 'eth0', 'nud', 'permanent']);
    const others = (await runCommand('ip', ['-o', 'link', 'show', 'master', pool.bridge])).split('\n').filter((l) => l.trim() && !l.includes(hostEnd)).length - 1;
    if (others > 0) log(`${others} port(s) of other instances on ${pool.bridge} too (other Awans of this machine)`);

    await inContainer(SERVED_PORTS.map((port) => `setsid nc -ll -p ${port} -e /bin/echo served-${port} </dev/null >/dev/null 2>&1 &`).join(' '));
    prober = inNamespace(ns, [process.execPath, '-e', PROBER, containerIp, String(PROBE_STEP_MS)]);
    const reach = async (port: number) => {
      const from = prober!.count();
      prober!.child.stdin!.write(`reach ${port} 300\n`);
      return (await prober!.line((l) => l.startsWith(`reach ${port} `), 10_000, `a connection to ${port}`, from)).split(' ')[2];
    };
    /** When (monotonic ns) a connection to `port` was first answered, probing from now on. */
    const opened = async (port: number) => {
      const from = prober!.count();
      prober!.child.stdin!.write(`open ${port}\n`);
      return BigInt((await prober!.line((l) => l.startsWith(`open ${port} `), 30_000, `port ${port} to open`, from)).split(' ')[2]);
    };
    await waitFor(async () => (await reach(SERVED_PORTS[0])) === 'served' && (await reach(SERVED_PORTS[1])) === 'served', 30_000, "the container's servers to answer");

    const variables = '$rules: [FirewallRuleInput!]!';
    const { createFirewall } = await customer.data(`mutation(${variables}, $instanceIds: [ID!]) { createFirewall(input: { name: "bench", rules: $rules, instanceIds: $instanceIds }) { id } }`,
      { rules: fiftyRules(clientIp, SERVED_PORTS[0]), instanceIds: [id] });
    await waitFor(async () => (await reach(SERVED_PORTS[1])) === 'dropped' || undefined, 30_000, 'the firewall to close the other port');
    log(`a firewall of ${RULES} rules attached; each change now moves its client rule to the other port`);

    const enforced: number[] = [];
    const answered: number[] = [];
    for (let change = 1; change <= CHANGES; change++) {
      const [open, closed] = change % 2 === 1 ? [SERVED_PORTS[1], SERVED_PORTS[0]] : SERVED_PORTS;
      const started = now();
      const seen = opened(open);
      await customer.data(`mutation(${variables}) { setFirewallRules(id: "${createFirewall.id}", rules: $rules) { id } }`, { rules: fiftyRules(clientIp, open) });
      answered.push(msSince(started));
      enforced.push(Number((await seen) - started) / 1e6);
      // The same transaction closed the port the rule left.
      const before = await reach(closed);
      if (before !== 'dropped') throw new Error(`port ${closed} was ${before} after the rule left it`);
      log(`change ${change}/${CHANGES}: port ${open} answered ${round(enforced.at(-1)!)} ms after the mutation was sent (answered in ${round(answered.at(-1)!)} ms)`);
    }

    await customer.data(`mutation { deleteInstance(id: "${id}") { id } }`);
    await statusIs(id, 'DELETED');
    // Network detaches a deleted instance's firewalls on compute's event, a moment after it shows DELETED.
    await waitFor(async () => (await customer.data(`{ firewall(id: "${createFirewall.id}") { instances { id } } }`)).firewall.instances.length === 0 || undefined, 30_000, 'the firewall to be detached');
    await customer.data(`mutation { deleteFirewall(id: "${createFirewall.id}") { id } }`);
    const sorted = [...enforced].sort((x, y) => x - y);
    return {
      changes: CHANGES, rulesInFirewall: RULES, probeStepMs: PROBE_STEP_MS,
      enforcedMs: { p50: round(percentile(sorted, 50)), p95: round(percentile(sorted, 95)), max: round(sorted.at(-1)!) },
      mutationAnsweredMs: { p50: round(median(answered)), max: round(Math.max(...answered)) },
    };
  } finally {
    prober?.child.kill();
    await runCommand('ip', ['netns', 'delete', ns]).catch(() => undefined);
    await runCommand('ip', ['link', 'delete', hostEnd]).catch(() => undefined);
    await awan.stop();
  }
}

if (process.argv[2] === IN_HOST) {
  await inHost(process.argv[3], process.argv.slice(4) as Part[]);
} else {
  const parts = process.argv.length > 2 ? (process.argv.slice(2) as Part[]) : [...PARTS];
  const unknown = parts.find((part) => !PARTS.includes(part));
  if (unknown) throw new Error(`no part ${unknown}: ${PARTS.join(', ')}`);
  const missing = missingHardware({ root: true, lxc: parts.includes('enforcement') }) ?? (await runCommand('nft', ['--version']).then(() => null, () => 'needs nft (apt-get install nftables)'));
  if (missing) {
    console.log(JSON.stringify({ skipped: missing }));
    process.exit(0);
  }
  const figures: Record<string, unknown> = {};
  const onHost = parts.filter((part) => part !== 'enforcement');
  if (onHost.length > 0) Object.assign(figures, await onFreshHost(onHost));
  if (parts.includes('enforcement')) figures.enforcement = await enforcement();
  console.log(JSON.stringify(figures, null, 2));
}
