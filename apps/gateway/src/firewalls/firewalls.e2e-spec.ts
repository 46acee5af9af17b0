import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import {
  describeWithHardware, GraphqlClient, missingHardware, removeHostTables, runCommand, servicePids, startTestAwan, waitFor, type TestAwan,
} from '#libs/testing';

interface Rule {
  direction: 'INGRESS' | 'EGRESS';
  protocol: 'TCP' | 'UDP' | 'ICMP';
  ports?: string | null;
  addresses: string[];
  description?: string | null;
}
interface Firewall {
  id: string;
  name: string;
  rules: Required<Rule>[];
  instances: { id: string }[];
}
const FIREWALL_FIELDS = 'id name rules { direction protocol ports addresses description } instances { id }';

/**
 * What a connection came to: the server's answer, a reset (nothing listens, nothing filters), no
 * answer at all (dropped), or no one at the address (while the container is stopped).
 */
type Reach = 'served' | 'refused' | 'dropped' | 'unreachable';

/** The container's servers: each answers a connection with `served-<port>`. */
const OPEN_PORT = 8080;
const CLOSED_PORT = 8081;
/** The client's servers, which the container connects out to: each answers `client-<port>`. */
const EGRESS_OPEN_PORT = 9100;
const EGRESS_CLOSED_PORT = 9101;
/** How long a change of rules may take to be enforced on the host (the Firewall's description). */
const ENFORCED_WITHIN_MS = 5000;
/** How often the agent here checks that its tables still hold every instance's rules (FIREWALL_CHECK_MS). */
const FIREWALL_CHECK_MS = 2000;
const ANYONE = ['0.0.0.0/0', '::/0'];

/**
 * The client's TCP connection, run by Node in the client's namespace: prints `served <what the
 * server said>`, the connection's error code (ECONNREFUSED…), or `dropped` where nothing answered in time.
 */
const CONNECT = `const [host, port, ms] = process.argv.slice(1);
let said = '';
const socket = process.getBuiltinModule('node:net').connect({ host, port: Number(port) });
const timer = setTimeout(() => (console.log('dropped'), process.exit(0)), Number(ms));
socket.on('connect', () => clearTimeout(timer));
socket.on('data', (chunk) => (said += chunk));
socket.on('end', () => (console.log('served ' + said.trim()), process.exit(0)));
socket.on('error', (error) => (console.log(error.code), process.exit(0)));`;
/** A server in the client's namespace that answers each connection with `client-<port>`. */
const clientServer = (port: number) => `process.getBuiltinModule('node:net').createServer((socket) => socket.end('client-${port}\\n')).listen(${port});`;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** This machine's own network may be 203.0.113.0/25 (README, Tests): nothing of the test's ever goes there. */
function outsideMachinesNetwork(address: string): string {
  const [a, b, c, d] = address.split('.').map(Number);
  if (a === 203 && b === 0 && c === 113 && d < 128) throw new Error(`${address} is in 203.0.113.0/25, which this machine may use`);
  return address;
}

/**
 * Firewalls through the GraphQL API on the whole system (`npm start`'s launcher) with this
 * machine's agent and real nftables: a busybox container serving TCP, and a client in a network
 * namespace of its own on the container's bridge, with an address of the pool no instance has
 * (a floating address the customer holds unassigned). Each change is timed from the mutation to
 * what the client sees.
 */
describeWithHardware('firewalls through the GraphQL API', missingHardware({ root: true, lxc: true }), () => {
  let awan: TestAwan;
  let admin: GraphqlClient;
  let customer: GraphqlClient;
  let stranger: GraphqlClient;
  let instancesDir: string;
  let containerId: string;
  let containerAddress: string;
  let gateway: string;
  let clientAddress: string;
  /** The rule addresses that name the client alone. */
  let client: string[];
  const tag = randomBytes(4).toString('hex');
  const netns = `fwc-${tag}`;
  /** The veth between the bridge (hostEnd) and the client's namespace (clientEnd): at most 15 characters. */
  const hostEnd = `fwh${tag}`;
  const clientEnd = `fwc${tag}`;
  const clientServers: ChildProcess[] = [];
  /** The figures the test prints at the end. */
  const measured: string[] = [];

  const statusOf = async (id: string) => (await customer.data(`{ instance(id: "${id}") { status } }`)).instance.status as string;
  const waitForStatus = (id: string, status: string, timeoutMs = 120_000) =>
    waitFor(async () => {
      const now = await statusOf(id);
      if (now === 'ERROR') throw new Error(`instance ${id} failed`);
      return now === status;
    }, timeoutMs, `instance ${id} to be ${status}`);
  const errorOf = async (caller: GraphqlClient, query: string, variables?: Record<string, unknown>) => (await caller.request(query, variables)).errors?.[0];
  const inContainer = (script: string) => runCommand('lxc-attach', ['-P', instancesDir, '-n', containerId, '--', '/bin/sh', '-c', script]);
  const inClient = (command: string, args: string[]) => runCommand('ip', ['netns', 'exec', netns, command, ...args]);
  /** A command's failure as its message (runCommand rejects with the program's stderr), or null where it succeeded. */
  const failureOf = (run: Promise<string>) => run.then(() => null, (error: Error) => error.message);

  /** Servers on both ports of the container, in the background: after every start of the container. */
  const serve = () =>
    inContainer([OPEN_PORT, CLOSED_PORT].map((port) => `setsid nc -ll -p ${port} -e /bin/echo served-${port} </dev/null >/dev/null 2>&1 &`).join(' '));

  /** The client connects to the container's port; an unanswered connection gives up after `timeoutMs`. */
  async function fromClient(port: number, timeoutMs = 250): Promise<Reach> {
    const outcome = (await inClient(process.execPath, ['-e', CONNECT, containerAddress, String(port), String(timeoutMs)])).trim();
    const reach = ({ [`served served-${port}`]: 'served', ECONNREFUSED: 'refused', dropped: 'dropped', EHOSTUNREACH: 'unreachable' } as const)[outcome];
    if (!reach) throw new Error(`the client's connection to port ${port}: ${outcome}`);
    return reach;
  }
  /** The container connects out to the client's port (busybox nc: a second's patience). */
  async function fromContainer(port: number): Promise<Reach> {
    const failure = await inContainer(`nc -w 1 ${clientAddress} ${port} </dev/null`).then((said) => (said.trim() === `client-${port}` ? null : `answered ${JSON.stringify(said)}`), (error: Error) => error.message);
    if (failure === null) return 'served';
    // nc's own words: lxc-attach says "Connection refused" too, of a container that is not running.
    if (/nc: can't connect to remote host .*Connection refused/.test(failure)) return 'refused';
    if (/nc: timed out/.test(failure)) return 'dropped';
    throw new Error(`the container's connection to the client's port ${port}: ${failure}`);
  }
  const clientPings = async () => (await failureOf(inClient('ping', ['-c', '1', '-W', '1', containerAddress]))) === null;
  const containerPings = async (address = clientAddress) => (await failureOf(inContainer(`ping -c 1 -W 1 ${address}`))) === null;

  const rulesVariables = '$rules: [FirewallRuleInput!]!';
  const createFirewall = async (name: string, rules: Rule[], instanceIds: string[] = []) =>
    (await customer.data<{ createFirewall: Firewall }>(`mutation(${rulesVariables}, $instanceIds: [ID!]) { createFirewall(input: { name: "${name}", rules: $rules, instanceIds: $instanceIds }) { ${FIREWALL_FIELDS} } }`, { rules, instanceIds })).createFirewall;
  const setRules = async (id: string, rules: Rule[]) =>
    (await customer.data<{ setFirewallRules: Firewall }>(`mutation(${rulesVariables}) { setFirewallRules(id: "${id}", rules: $rules) { ${FIREWALL_FIELDS} } }`, { rules })).setFirewallRules;
  const attach = (id: string) => customer.data(`mutation { attachFirewall(id: "${id}", instanceId: "${containerId}") { id } }`);
  const detach = (id: string) => customer.data(`mutation { detachFirewall(id: "${id}", instanceId: "${containerId}") { id } }`);

  /**
   * Makes a change through the API and waits until a probe sees it, timed from just before the
   * mutation was sent to the start of the first probe that saw it (a probe that finds a port
   * closed takes its timeout to say so); fails where the change was seen only after the Firewall's 5 s.
   */
  async function enforced(what: string, change: () => Promise<unknown>, seen: () => Promise<boolean>): Promise<void> {
    const started = performance.now();
    await change();
    const answered = performance.now() - started;
    let probeStarted = 0;
    await waitFor(async () => {
      probeStarted = performance.now();
      return seen();
    }, 3 * ENFORCED_WITHIN_MS, what);
    const [took, probeEnded] = [probeStarted - started, performance.now() - started];
    measured.push(`${what}: seen by a probe started ${Math.round(took)} ms after the mutation was sent (the mutation answered in ${Math.round(answered)} ms, the probe ended at ${Math.round(probeEnded)} ms)`);
    expect(took).toBeLessThan(ENFORCED_WITHIN_MS);
  }

  /**
   * Probes each of `checks` again and again (each in a loop of its own) until stopped, keeping every
   * answer that was not the expected one: what a change on the host (an agent's restart, the
   * instance's start) must never let through.
   */
  function watch(checks: Record<string, () => Promise<boolean>>) {
    const broken: string[] = [];
    let probes = 0;
    let stopped = false;
    const running = Object.entries(checks).map(async ([what, holds]) => {
      while (!stopped) {
        const failure = await holds().then((held) => (held ? null : 'not so'), (error: Error) => error.message);
        if (failure) broken.push(`${what}: ${failure}`);
        probes++;
      }
    });
    return {
      async stop() {
        stopped = true;
        await Promise.all(running);
        return { broken, probes };
      },
    };
  }

  beforeAll(async () => {
    // The rules are what a restarted agent must keep, not its fencing: a fence watchdog that
    // outlasts the agent's restart by a wide margin never stops the container meanwhile (with the
    // 6 s default, a kill -9 here sometimes fenced it before the new agent took over).
    awan = await startTestAwan('firewall_e2e', { FENCE_TIMEOUT_MS: '15000', HOST_DOWN_TIMEOUT_MS: '30000', FIREWALL_CHECK_MS: String(FIREWALL_CHECK_MS) });
    const api = new GraphqlClient(awan.url);
    admin = api.as(awan.adminKey);
    const account = async (name: string) => api.as((await admin.data(`mutation { createAccount(input: { name: "${name}", kind: CUSTOMER }) { apiKey { secret } } }`)).createAccount.apiKey.secret);
    customer = await account('Firewall Customer');
    stranger = await account('Firewall Stranger');
    instancesDir = path.join(awan.dataDir, 'agent', 'instances');

    const input = '{ name: "fw-web", kind: CONTAINER, imageId: "dev-busybox-rootfs", planId: "ct-512m", regionId: "local", billingCycle: HOURLY }';
    const { createInstance } = await customer.data(`mutation { createInstance(input: ${input}) { id } }`);
    containerId = createInstance.id;
    await waitForStatus(containerId, 'RUNNING');
    const { instance } = await customer.data(`{ instance(id: "${containerId}") { ipAddresses { address family } } }`);
    containerAddress = outsideMachinesNetwork(instance.ipAddresses.find((ip: { family: string }) => ip.family === 'IPV4').address);

    // The client: on the instances' bridge with an address of their pool that no instance holds, the customer's floating one left unassigned.
    const { ipPools } = await admin.data('{ ipPools(regionId: "local") { family cidr gateway bridge retiredAt } }');
    const pool = ipPools.find((p: { family: string; retiredAt: string | null }) => p.family === 'IPV4' && !p.retiredAt);
    gateway = outsideMachinesNetwork(pool.gateway);
    const { allocateIp } = await customer.data('mutation { allocateIp(input: { regionId: "local", family: IPV4 }) { address } }');
    clientAddress = outsideMachinesNetwork(allocateIp.address);
    client = [`${clientAddress}/32`];
    await runCommand('ip', ['netns', 'add', netns]);
    await runCommand('ip', ['link', 'add', hostEnd, 'type', 'veth', 'peer', 'name', clientEnd, 'netns', netns]);
    await runCommand('ip', ['link', 'set', hostEnd, 'master', pool.bridge, 'up']);
    await runCommand('ip', ['-n', netns, 'addr', 'add', `${clientAddress}/${pool.cidr.split('/')[1]}`, 'dev', clientEnd]);
    for (const link of [clientEnd, 'lo']) await runCommand('ip', ['-n', netns, 'link', 'set', link, 'up']);
    for (const port of [EGRESS_OPEN_PORT, EGRESS_CLOSED_PORT]) {
      clientServers.push(spawn('ip', ['netns', 'exec', netns, process.execPath, '-e', clientServer(port)], { stdio: 'ignore' }));
    }

    await serve();
    await waitFor(async () => (await fromClient(OPEN_PORT)) === 'served' && (await fromClient(CLOSED_PORT)) === 'served', 30_000, "the container's servers to answer the client");
  }, 300_000);

  afterAll(async () => {
    if (measured.length > 0) console.log(`firewalls, as measured:\n${measured.join('\n')}`);
    // Where a test stopped before the last one deleted it: its rules go with it.
    if (containerId) await customer.request(`mutation { deleteInstance(id: "${containerId}") { id } }`).then(() => waitForStatus(containerId, 'DELETED')).catch(() => undefined);
    for (const server of clientServers) server.kill();
    await runCommand('ip', ['netns', 'delete', netns]).catch(() => undefined);
    await runCommand('ip', ['link', 'delete', hostEnd]).catch(() => undefined);
    await awan?.stop();
  }, 120_000);

  it("closes a container's TCP service to a client on its bridge once a firewall allowing only ICMP is attached, opens its port within 5 s of a rule for it, and answers ping as the ICMP rules say", async () => {
    // No firewall: everything reaches it.
    expect(await fromClient(OPEN_PORT)).toBe('served');
    expect(await fromClient(CLOSED_PORT)).toBe('served');
    expect(await clientPings()).toBe(true);

    const firewall = await createFirewall('web', [{ direction: 'INGRESS', protocol: 'ICMP', addresses: ANYONE }]);
    expect(firewall).toMatchObject({ name: 'web', rules: [{ direction: 'INGRESS', protocol: 'ICMP', ports: null, addresses: ANYONE, description: null }], instances: [] });
    await enforced('attaching a firewall that allows only ICMP closed the port', () => attach(firewall.id), async () => (await fromClient(OPEN_PORT)) === 'dropped');
    expect(await fromClient(CLOSED_PORT, 1000)).toBe('dropped');
    expect(await clientPings()).toBe(true);
    const { instance } = await customer.data(`{ instance(id: "${containerId}") { firewalls { id name } } }`);
    expect(instance.firewalls).toEqual([{ id: firewall.id, name: 'web' }]);

    const icmp: Rule = { direction: 'INGRESS', protocol: 'ICMP', addresses: ANYONE };
    const web: Rule = { direction: 'INGRESS', protocol: 'TCP', ports: String(OPEN_PORT), addresses: client, description: 'the client' };
    let set: Firewall | undefined;
    await enforced('a rule for the port opened it', async () => (set = await setRules(firewall.id, [icmp, web])), async () => (await fromClient(OPEN_PORT)) === 'served');
    expect(set!.rules).toEqual([{ ...icmp, ports: null, description: null }, web]);
    expect(await fromClient(CLOSED_PORT, 1000)).toBe('dropped');

    // Ping as the ICMP rules say: without one, no answer; the TCP rule holds meanwhile.
    await enforced('removing the ICMP rule stopped ping', () => setRules(firewall.id, [web]), async () => !(await clientPings()));
    expect(await fromClient(OPEN_PORT)).toBe('served');
    await enforced('an ICMP rule again answered ping', () => setRules(firewall.id, [icmp, web]), clientPings);
  }, 180_000);

  it("lets the container connect out only where EGRESS rules allow, once there are any, and ping out only with an EGRESS ICMP rule", async () => {
    const [firewall] = (await customer.data(`{ instance(id: "${containerId}") { firewalls { ${FIREWALL_FIELDS} } } }`)).instance.firewalls as Firewall[];
    const ingress = firewall.rules;
    // No EGRESS rule: outbound is open.
    expect(await fromContainer(EGRESS_OPEN_PORT)).toBe('served');
    expect(await fromContainer(EGRESS_CLOSED_PORT)).toBe('served');
    expect(await containerPings()).toBe(true);

    const out: Rule = { direction: 'EGRESS', protocol: 'TCP', ports: String(EGRESS_OPEN_PORT), addresses: client, description: null };
    await enforced('an EGRESS rule closed every other outbound connection', () => setRules(firewall.id, [...ingress, out]), async () => (await fromContainer(EGRESS_CLOSED_PORT)) === 'dropped');
    expect(await fromContainer(EGRESS_OPEN_PORT)).toBe('served');
    expect(await containerPings()).toBe(false);
    // The inbound rules are as they were: replies to the container's own connections came back above.
    expect(await fromClient(OPEN_PORT)).toBe('served');
    expect(await clientPings()).toBe(true);

    const pingOut: Rule = { direction: 'EGRESS', protocol: 'ICMP', addresses: client, description: null };
    await enforced('an EGRESS ICMP rule let ping out', () => setRules(firewall.id, [...ingress, out, pingOut]), () => containerPings());
    expect(await containerPings(gateway)).toBe(false); // the rule names the client alone
    expect(await fromContainer(EGRESS_CLOSED_PORT)).toBe('dropped');
  }, 180_000);

  it("keeps the rules through the agent's kill -9 and restart, and through a stop and start of the container", async () => {
    const [firewall] = (await customer.data(`{ instance(id: "${containerId}") { firewalls { ${FIREWALL_FIELDS} } } }`)).instance.firewalls as Firewall[];
    const rules = {
      [`port ${OPEN_PORT} served`]: async () => (await fromClient(OPEN_PORT)) === 'served',
      [`port ${CLOSED_PORT} dropped`]: async () => (await fromClient(CLOSED_PORT)) === 'dropped',
      [`outbound to ${EGRESS_CLOSED_PORT} dropped`]: async () => (await fromContainer(EGRESS_CLOSED_PORT)) === 'dropped',
    };

    // The agent killed: the rules hold while it is gone, and when it is back (it applies what the control plane holds).
    const agent = servicePids(awan.launcher.pid).get('host-agent')!;
    const throughRestart = watch(rules);
    process.kill(agent, 'SIGKILL');
    const restartedAt = performance.now();
    await waitFor(() => (servicePids(awan.launcher.pid).get('host-agent') ?? agent) !== agent, 60_000, 'the supervisor to restart the agent');
    const back = performance.now() - restartedAt;
    // Long enough for the new agent to start, heartbeat, and be sent every filter again.
    await sleep(15_000);
    const { broken, probes } = await throughRestart.stop();
    expect(broken).toEqual([]);
    measured.push(`the agent killed with -9 was back in ${Math.round(back)} ms; ${probes} probes from the kill to 15 s after found the rules unchanged`);
    // The new agent enforces changes.
    const wider = [...firewall.rules, { direction: 'INGRESS', protocol: 'TCP', ports: String(CLOSED_PORT), addresses: client, description: null } as Rule];
    await enforced('after the agent restarted, a rule opened a port', () => setRules(firewall.id, wider), async () => (await fromClient(CLOSED_PORT)) === 'served');
    await enforced('after the agent restarted, the rule taken away closed it', () => setRules(firewall.id, firewall.rules), async () => (await fromClient(CLOSED_PORT)) === 'dropped');

    // Stopped and started: filtered from its first packet. Its servers went with the stop, so the
    // port a rule allows answers with a reset, and the other never answers at all.
    await customer.data(`mutation { stopInstance(id: "${containerId}") { id } }`);
    await waitForStatus(containerId, 'STOPPED');
    // Four probers at once: a moment's gap as the container comes up would meet one of them.
    const neverAnswered = async () => ['dropped', 'unreachable'].includes(await fromClient(CLOSED_PORT));
    const throughStart = watch(Object.fromEntries([1, 2, 3, 4].map((prober) => [`port ${CLOSED_PORT} never answered (prober ${prober})`, neverAnswered])));
    await customer.data(`mutation { startInstance(id: "${containerId}") { id } }`);
    await waitForStatus(containerId, 'RUNNING');
    await waitFor(async () => (await fromClient(OPEN_PORT)) === 'refused', 30_000, `port ${OPEN_PORT} to answer with a reset`);
    const started = await throughStart.stop();
    expect(started.broken).toEqual([]);
    measured.push(`stopped and started, the container's closed port never answered in ${started.probes} probes from the start request until its allowed port answered`);
    await serve();
    await waitFor(async () => (await fromClient(OPEN_PORT)) === 'served', 10_000, `port ${OPEN_PORT} served again`);
    for (const holds of Object.values(rules)) expect(await holds()).toBe(true);
    expect(await fromContainer(EGRESS_OPEN_PORT)).toBe('served');
  }, 300_000);

  it("puts the rules back within FIREWALL_CHECK_MS once the agent's tables are removed outside it, as a reload of the host's own nftables rules does", async () => {
    expect(await fromClient(CLOSED_PORT)).toBe('dropped');
    removeHostTables(awan.hostId);
    const removedAt = performance.now();
    await waitFor(async () => (await fromClient(CLOSED_PORT)) === 'dropped' && (await runCommand('nft', ['list', 'tables'])).includes(`awan-${awan.hostId}`), 3 * FIREWALL_CHECK_MS, 'the rules put back');
    measured.push(`the agent's tables removed by hand: the rules back in ${Math.round(performance.now() - removedAt)} ms (checked every ${FIREWALL_CHECK_MS} ms)`);
    expect(await fromClient(OPEN_PORT)).toBe('served');
    expect(await fromContainer(EGRESS_CLOSED_PORT)).toBe('dropped');
  }, 60_000);

  it("shows the attach and the detach in the instance's history, refuses to delete a firewall still attached, and opens everything once none is", async () => {
    const [firewall] = (await customer.data(`{ instance(id: "${containerId}") { firewalls { id name } } }`)).instance.firewalls as Firewall[];
    expect(await errorOf(customer, `mutation { deleteFirewall(id: "${firewall.id}") { id } }`)).toMatchObject({ extensions: { code: 'CONFLICT' } });

    await enforced('detaching the firewall opened every port', () => detach(firewall.id), async () => (await fromClient(CLOSED_PORT)) === 'served');
    expect(await fromContainer(EGRESS_CLOSED_PORT)).toBe('served');
    expect(await containerPings(gateway)).toBe(true);
    expect((await customer.data(`{ instance(id: "${containerId}") { firewalls { id } } }`)).instance.firewalls).toEqual([]);

    const history = await waitFor(async () => {
      const { instance } = await customer.data(`{ instance(id: "${containerId}") { history(first: 100) { edges { node { type data } } } } }`);
      const events = instance.history.edges.map((e: { node: { type: string; data: string } }) => e.node).filter((e: { type: string }) => e.type.startsWith('InstanceFirewall'));
      return events.length === 2 ? events.map((e: { type: string; data: string }) => ({ type: e.type, ...JSON.parse(e.data) })) : undefined;
    }, 20_000, 'the attach and the detach in the history');
    expect(history).toEqual([
      { type: 'InstanceFirewallAttached', firewallId: firewall.id, name: 'web' },
      { type: 'InstanceFirewallDetached', firewallId: firewall.id, name: 'web', reason: 'detached' },
    ]);

    expect((await customer.data(`mutation { deleteFirewall(id: "${firewall.id}") { id } }`)).deleteFirewall).toEqual({ id: firewall.id });
    expect(await customer.data(`{ firewall(id: "${firewall.id}") { id } firewalls { totalCount } }`)).toEqual({ firewall: null, firewalls: { totalCount: 0 } });
  }, 120_000);

  it("keeps a container that takes its neighbour's address from sending as it: the neighbour keeps its address and works on", async () => {
    // The host knows the client's MAC from a ping of its own.
    await runCommand('ping', ['-c', '1', '-W', '1', clientAddress]);
    const [{ address: clientMac }] = JSON.parse(await runCommand('ip', ['-n', netns, '-j', 'link', 'show', 'dev', clientEnd]));
    const hostsNeighbour = async () => JSON.parse(await runCommand('ip', ['-j', 'neigh', 'show', clientAddress]))[0]?.lladdr as string | undefined;
    expect(await hostsNeighbour()).toBe(clientMac);
    // The echo replies that reach the client from the host's gateway address: where the container's
    // pings as the client left its port, the host's replies would come here, unasked.
    await inClient('nft', ['add', 'table', 'inet', 'fwwatch']);
    await inClient('nft', ['add', 'counter', 'inet', 'fwwatch', 'replies']);
    await inClient('nft', ['add', 'chain', 'inet', 'fwwatch', 'input', '{', 'type', 'filter', 'hook', 'input', 'priority', '0', ';', '}']);
    await inClient('nft', ['add', 'rule', 'inet', 'fwwatch', 'input', 'ip', 'saddr', gateway, 'icmp', 'type', 'echo-reply', 'counter', 'name', 'replies']);
    const replies = async () => JSON.parse(await inClient('nft', ['-j', 'list', 'counter', 'inet', 'fwwatch', 'replies'])).nftables.find((item: { counter?: unknown }) => item.counter).counter.packets as number;
    // The client's own ping of the gateway is counted: one reply.
    await inClient('ping', ['-c', '1', '-W', '1', gateway]);
    expect(await replies()).toBe(1);

    // Locktime: the host takes a neighbour's new MAC only a second after its last change.
    await sleep(1500);
    await inContainer(`ip addr add ${clientAddress}/32 dev eth0`);
    try {
      // It claims the address (gratuitous ARP) and pings the host's gateway as the client.
      await failureOf(inContainer(`arping -U -c 2 -w 2 -I eth0 -s ${clientAddress} ${clientAddress}`));
      await failureOf(inContainer(`ping -c 3 -W 1 -I ${clientAddress} ${gateway}`));
      // From its own address it still reaches the gateway.
      expect(await containerPings(gateway)).toBe(true);
      expect(await replies()).toBe(1);
      expect(await hostsNeighbour()).toBe(clientMac);
      expect(await failureOf(runCommand('ping', ['-c', '1', '-W', '1', clientAddress]))).toBeNull();
    } finally {
      await inContainer(`ip addr del ${clientAddress}/32 dev eth0`);
      await inClient('nft', ['delete', 'table', 'inet', 'fwwatch']);
    }
    expect(await fromClient(OPEN_PORT)).toBe('served');
    expect(await fromContainer(EGRESS_OPEN_PORT)).toBe('served');
  }, 120_000);

  it("refuses bad rules as BAD_USER_INPUT naming the field, and another account's instance or firewall as NOT_FOUND", async () => {
    const tcp: Rule = { direction: 'INGRESS', protocol: 'TCP', ports: '22', addresses: ANYONE };
    const firewall = await createFirewall('admin', [tcp]);
    const bad: [string, Rule[], string][] = [
      ['port 0', [{ ...tcp, ports: '0' }], '[0].ports'],
      ['port 70000', [{ ...tcp, ports: '70000' }], '[0].ports'],
      ['a range reversed', [tcp, { ...tcp, ports: '9000-8000' }], '[1].ports'],
      ['ports on ICMP', [tcp, { direction: 'INGRESS', protocol: 'ICMP', ports: '8', addresses: ANYONE }], '[1].ports'],
      ['a CIDR with host bits', [{ ...tcp, addresses: ['10.0.0.1/8'] }], '[0].addresses[0]'],
      ["a prefix length beyond the family's", [{ ...tcp, addresses: ['0.0.0.0/0', '10.0.0.0/33'] }], '[0].addresses[1]'],
      ['no address', [{ ...tcp, addresses: [] }], '[0].addresses'],
      ['51 rules', Array.from({ length: 51 }, (_, i) => ({ ...tcp, ports: String(1000 + i) })), ''],
    ];
    for (const [what, rules, field] of bad) {
      const set = await errorOf(customer, `mutation(${rulesVariables}) { setFirewallRules(id: "${firewall.id}", rules: $rules) { id } }`, { rules });
      expect({ what, error: set }).toMatchObject({ what, error: { extensions: { code: 'BAD_USER_INPUT', field: `rules${field}` } } });
      const created = await errorOf(customer, `mutation(${rulesVariables}) { createFirewall(input: { name: "bad", rules: $rules }) { id } }`, { rules });
      expect({ what, error: created }).toMatchObject({ what, error: { extensions: { code: 'BAD_USER_INPUT', field: `input.rules${field}` } } });
    }
    // Fifty is the most, and allowed; nothing refused was made or changed.
    const fifty = Array.from({ length: 50 }, (_, i) => ({ ...tcp, ports: String(1000 + i) }));
    expect((await setRules(firewall.id, fifty)).rules).toHaveLength(50);
    expect((await customer.data('{ firewalls { totalCount } }')).firewalls.totalCount).toBe(1);

    // Another account: the customer's instance and firewall are not there for it.
    const theirs = (await stranger.data(`mutation { createFirewall(input: { name: "theirs", rules: [] }) { id } }`)).createFirewall.id as string;
    for (const mutation of [
      `attachFirewall(id: "${theirs}", instanceId: "${containerId}") { id }`,
      `createFirewall(input: { name: "theirs", rules: [], instanceIds: ["${containerId}"] }) { id }`,
      `setFirewallRules(id: "${firewall.id}", rules: []) { id }`,
      `attachFirewall(id: "${firewall.id}", instanceId: "${containerId}") { id }`,
      `detachFirewall(id: "${firewall.id}", instanceId: "${containerId}") { id }`,
      `deleteFirewall(id: "${firewall.id}") { id }`,
    ]) expect({ mutation, error: await errorOf(stranger, `mutation { ${mutation} }`) }).toMatchObject({ mutation, error: { extensions: { code: 'NOT_FOUND' } } });
    expect(await stranger.data(`{ firewall(id: "${firewall.id}") { id } firewalls { totalCount } instance(id: "${containerId}") { id } }`))
      .toEqual({ firewall: null, firewalls: { totalCount: 1 }, instance: null });
    // Nor is the stranger's firewall the customer's to attach.
    expect(await errorOf(customer, `mutation { attachFirewall(id: "${theirs}", instanceId: "${containerId}") { id } }`)).toMatchObject({ extensions: { code: 'NOT_FOUND' } });
    expect((await customer.data(`{ instance(id: "${containerId}") { firewalls { id } } }`)).instance.firewalls).toEqual([]);
    const mine = (await customer.data(`{ firewall(id: "${firewall.id}") { rules { ports } instances { id } } }`)).firewall;
    expect({ rules: mine.rules.length, instances: mine.instances }).toEqual({ rules: 50, instances: [] });
  }, 120_000);

  it("takes the instance's rules off the host when it is deleted", async () => {
    await customer.data(`mutation { deleteInstance(id: "${containerId}") { id } }`);
    await waitForStatus(containerId, 'DELETED');
    await waitFor(async () => !(await runCommand('nft', ['list', 'ruleset'])).includes(containerId), 10_000, `no rule of instance ${containerId} left on the host`);
  }, 120_000);
});
