import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { formatAddress, parseAddress, type FilterRule, type InstanceFilter, type InstanceSpec } from '#libs/contracts';
import { describeWithHardware, missingHardware } from '#libs/testing';
import { runProgram } from '../host/program.js';
import { buildBusyboxRootfs } from '../images/dev-images.js';
import { vethName } from '../instances/host-network.js';
import { waitUntil } from '../instances/instance-driver.js';
import { InstanceFolders } from '../instances/instance-folder.js';
import { InstanceManager } from '../instances/instance-manager.js';
import { macFor } from '../instances/instance-spec.js';
import { LxcDriver } from '../instances/lxc.driver.js';
import { QemuDriver } from '../instances/qemu.driver.js';
import { HostFirewall } from './host-firewall.js';
import { linkLocalOf, parseMac } from './ip-addresses.js';
import { firewallTableName, type PortFilter } from './nft-ruleset.js';

const nftMissing = spawnSync('nft', ['--version'], { stdio: 'ignore' }).status === 0 ? null : 'needs nft (apt-get install nftables)';
const missing = missingHardware({ root: true, lxc: true }) ?? nftMissing;

const suffix = randomUUID().slice(0, 6);
const hostId = `fw-${suffix}`;
const table = firewallTableName(hostId);
const dataDir = mkdtempSync(path.join(os.tmpdir(), 'awan-firewalls-'));
const imagesDir = path.join(os.tmpdir(), 'awan-test-images');
/** The test's bridge: nothing routed through it (no address on the host side), so it overlaps no other test's pool. */
const bridge = `awfb${suffix}`;
const net4 = '203.0.113.240/28';
/** Two network namespaces on the bridge beside the container: the client, and a neighbour whose address the container tries to take. */
const client = { ns: `awan-fwk-${suffix}`, veth: `awfk${suffix}`, ip: '203.0.113.241', ip6: '2001:db8:f1::241', mac: '02:00:00:f1:00:41' };
const neighbour = { ns: `awan-fwn-${suffix}`, veth: `awfn${suffix}`, ip: '203.0.113.243', ip6: '2001:db8:f1::243', mac: '02:00:00:f1:00:43' };
const containerIp = '203.0.113.242';

function agentOn(folders: InstanceFolders): InstanceManager {
  return new InstanceManager(folders, { VM: new QemuDriver({ folders, accelerator: 'tcg' }), CONTAINER: new LxcDriver(folders) }, { stopTimeoutMs: 2000 });
}

const folders = new InstanceFolders(hostId, dataDir);
let agent = agentOn(folders);
const instanceId = randomUUID();
const mac = macFor(instanceId);
const spec: InstanceSpec = {
  instanceId,
  name: 'fw-ct',
  kind: 'CONTAINER',
  vcpus: 1,
  memoryMb: 128,
  diskGb: 1,
  image: { kind: 'CONTAINER', location: path.join(imagesDir, 'busybox-rootfs.tar.gz') },
  network: { bridge, ipv4: `${containerIp}/28`, ipv6: '2001:db8:f1::242/64' },
};

/**
 * The tables named `name` deleted outside the agent, as a flush of the host's ruleset does: each family's,
 * whether or not it is there (the inet one is only where replies are told by a mark).
 */
async function deleteTables(name: string): Promise<void> {
  for (const family of ['bridge', 'inet']) await runProgram('nft', ['delete', 'table', family, name]).catch(() => undefined);
}

const inNamespace = (ns: string, ...command: string[]) => runProgram('ip', ['netns', 'exec', ns, ...command], { timeoutMs: 10_000 });
const inContainer = (script: string) => runProgram('lxc-attach', ['-P', folders.root, '-n', instanceId, '--', '/bin/sh', '-c', script], { timeoutMs: 10_000 });
const succeeds = (work: Promise<unknown>) => work.then(() => true, () => false);

/**
 * What a user checks: the container's web server from the client, a ping, and the container's own fetches from the client's
 * servers. A fetch gets 3 seconds (busybox wget's own -T crashes it).
 */
const clientFetches = () => succeeds(inNamespace(client.ns, 'busybox', 'timeout', '3', 'busybox', 'wget', '-q', '-O', '-', `http://${containerIp}:8080/`));
const clientPings = () => succeeds(inNamespace(client.ns, 'ping', '-c', '1', '-W', '2', containerIp));
const containerFetches = (port: number) => succeeds(inContainer(`timeout 3 wget -q -O - http://${client.ip}:${port}/`));
const containerPings = () => succeeds(inContainer(`ping -c 1 -W 2 ${client.ip}`));
/** The host itself, over the bridge's link-local address (the bridge has no other, to route nothing): what it sends passes the output hook. */
const hostPings = () => succeeds(runProgram('ping', ['-6', '-c', '1', '-W', '2', `${formatAddress(linkLocalOf(parseMac(mac)!))}%${bridge}`]));
const serveInContainer = () => inContainer('mkdir -p /www && echo hello > /www/index.html && httpd -p 8080 -h /www');

const anyone = ['0.0.0.0/0', '::/0'];
const rule = (protocol: FilterRule['protocol'], port: number | null, addresses = anyone): FilterRule => ({
  protocol,
  ports: port === null ? null : { from: port, to: port },
  addresses,
});
const filter = (revision: number, firewall: InstanceFilter['firewall']): InstanceFilter => ({
  instanceId,
  revision,
  addresses: [containerIp, '2001:db8:f1::242'],
  firewall,
});

/** A port of no real interface with a filter of some rules, the `index`th of many on one host's firewall (nothing passes through it). */
function portWithFirewall(index: number): PortFilter {
  return {
    port: `awvbench${index.toString(16).padStart(4, '0')}`,
    mac: macFor(randomUUID()),
    filter: {
      instanceId: `00000000-0000-4000-8000-${index.toString(16).padStart(12, '0')}`,
      revision: 1,
      addresses: [`198.51.${100 + (index >> 8)}.${index & 0xff}`, `2001:db8:ffff::${index.toString(16)}`],
      firewall: {
        ingress: [rule('TCP', 22), rule('TCP', 443), rule('ICMP', null), rule('UDP', 53, ['198.51.100.0/24', '203.0.113.128/25'])],
        egress: [rule('TCP', 443), rule('UDP', 53)],
      },
    },
  };
}

async function addNamespace(side: typeof client): Promise<void> {
  await runProgram('ip', ['netns', 'add', side.ns]);
  await runProgram('ip', ['link', 'add', side.veth, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', side.ns]);
  await runProgram('ip', ['link', 'set', side.veth, 'master', bridge, 'up']);
  await runProgram('ip', ['-n', side.ns, 'link', 'set', 'eth0', 'address', side.mac]);
  await runProgram('ip', ['-n', side.ns, 'address', 'add', `${side.ip}/28`, 'dev', 'eth0']);
  await runProgram('ip', ['-n', side.ns, 'address', 'add', `${side.ip6}/64`, 'dev', 'eth0', 'nodad']);
  await runProgram('ip', ['-n', side.ns, 'link', 'set', 'eth0', 'up']);
  await runProgram('ip', ['-n', side.ns, 'link', 'set', 'lo', 'up']);
}

async function removeNamespace(ns: string): Promise<void> {
  // The servers the test started in it, by their ids.
  for (const pid of (await runProgram('ip', ['netns', 'pids', ns]).catch(() => '')).split('\n').filter(Boolean)) process.kill(Number(pid), 'SIGKILL');
  await runProgram('ip', ['netns', 'delete', ns]).catch(() => undefined);
}

/** The named counters of a table in the client's namespace: what reached it. */
async function counters(): Promise<Record<string, number>> {
  const listed = JSON.parse(await inNamespace(client.ns, 'nft', '-j', 'list', 'counters', 'table', 'netdev', 'watch')) as {
    nftables: { counter?: { name: string; packets: number } }[];
  };
  return Object.fromEntries(listed.nftables.flatMap((item) => (item.counter ? [[item.counter.name, item.counter.packets]] : [])));
}

/** The neighbour's hardware address as the client has it now. */
async function clientNeighbour(address: string): Promise<string> {
  return (await runProgram('ip', ['-n', client.ns, 'neigh', 'show', address])).trim();
}

const elapsed = (started: bigint) => Number(process.hrtime.bigint() - started) / 1e6;

describeWithHardware("instances' filters enforced with nftables on a real bridge", missing, () => {
  beforeAll(async () => {
    await buildBusyboxRootfs(spec.image.location);
    await runProgram('ip', ['link', 'add', bridge, 'type', 'bridge']);
    await runProgram('ip', ['link', 'set', bridge, 'up']);
    await addNamespace(client);
    await addNamespace(neighbour);
    const site = path.join(dataDir, 'client-site');
    mkdirSync(site);
    writeFileSync(path.join(site, 'index.html'), 'from the client\n');
    for (const port of ['9090', '9091']) await inNamespace(client.ns, 'busybox', 'httpd', '-p', port, '-h', site);
    // What reaches the client from the container's MAC with the neighbour's addresses (none may), and with its own (the control).
    const watch = path.join(dataDir, 'watch.nft');
    const target = `0x${parseAddress(neighbour.ip6)!.value.toString(16).padStart(32, '0')}`;
    writeFileSync(
      watch,
      [
        'table netdev watch {',
        '  counter spoofed-ipv4 {}', '  counter spoofed-arp {}', '  counter spoofed-ipv6 {}', '  counter spoofed-advert {}', '  counter own-ipv4 {}',
        '  chain in {',
        '    type filter hook ingress device eth0 priority 0; policy accept;',
        `    ether saddr ${mac} ip saddr ${neighbour.ip} counter name "spoofed-ipv4"`,
        `    ether saddr ${mac} arp saddr ip ${neighbour.ip} counter name "spoofed-arp"`,
        `    ether saddr ${mac} ip6 saddr ${neighbour.ip6} counter name "spoofed-ipv6"`,
        `    ether saddr ${mac} icmpv6 type nd-neighbor-advert @th,64,128 ${target} counter name "spoofed-advert"`,
        `    ether saddr ${mac} ip saddr ${containerIp} counter name "own-ipv4"`,
        '  }',
        '}',
        '',
      ].join('\n'),
    );
    await inNamespace(client.ns, 'nft', '-f', watch);
  }, 120_000);

  afterAll(async () => {
    await agent.delete(instanceId).catch(() => undefined);
    await removeNamespace(client.ns);
    await removeNamespace(neighbour.ns);
    await runProgram('ip', ['link', 'delete', bridge]).catch(() => undefined);
    await deleteTables(table);
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('lets everyone reach a container without a firewall, its port fixed and its filter enforced before it starts', async () => {
    const port = vethName(hostId, instanceId);
    expect(await agent.create(spec, false, filter(1, null))).toMatchObject({ state: 'STOPPED' });
    // Its rules are in place before its port exists.
    expect(await agent.filters.firewall.heldPorts()).toEqual(new Map([[instanceId, port]]));
    expect(await agent.start(instanceId)).toMatchObject({ state: 'RUNNING' });
    expect(await runProgram('ip', ['-o', 'link', 'show', 'master', bridge])).toContain(`${port}@`);
    console.log(`replies are told apart by ${await agent.filters.firewall.replyMatch()} on this kernel`);
    await serveInContainer();
    expect(await clientFetches()).toBe(true);
    expect(await clientPings()).toBe(true);
    // The link-local addresses (the bridge's, the container's) are usable once their duplicate address detection is over: a second or two.
    expect(await waitUntil(hostPings, 10_000, 500)).toBe(true);
    expect(await containerFetches(9091)).toBe(true);
  }, 60_000);

  it("lets nothing with a neighbour's address, or another MAC, out of the container, and the neighbour keeps working", async () => {
    await inContainer(`ip address add ${neighbour.ip}/28 dev eth0 && ip -6 address add ${neighbour.ip6}/64 dev eth0`);
    // Its duplicate address detection for the neighbour's address is not heard: it takes the address after a second or so.
    expect(await waitUntil(async () => !(await inContainer('ip -6 address show dev eth0')).includes('tentative'), 5000)).toBe(true);
    // It sends from the neighbour's addresses, and claims them in ARP; it answers for them too, as the client looks for the neighbour.
    await inContainer(`ping -c 2 -W 1 -I ${neighbour.ip} ${client.ip}; ping -6 -c 2 -W 1 -I ${neighbour.ip6} ${client.ip6}; arping -c 2 -w 2 -s ${neighbour.ip} -I eth0 ${client.ip}; true`);
    expect(await succeeds(inNamespace(client.ns, 'ping', '-c', '2', '-W', '2', neighbour.ip))).toBe(true);
    expect(await succeeds(inNamespace(client.ns, 'ping', '-6', '-c', '2', '-W', '2', neighbour.ip6))).toBe(true);
    expect(await clientNeighbour(neighbour.ip)).toContain(`lladdr ${neighbour.mac}`);
    expect(await clientNeighbour(neighbour.ip6)).toContain(`lladdr ${neighbour.mac}`);
    expect(await containerPings()).toBe(true);
    const seen = await counters();
    expect(seen).toMatchObject({ 'spoofed-ipv4': 0, 'spoofed-arp': 0, 'spoofed-ipv6': 0, 'spoofed-advert': 0 });
    expect(seen['own-ipv4']).toBeGreaterThan(0);
    await inContainer(`ip address del ${neighbour.ip}/28 dev eth0 && ip -6 address del ${neighbour.ip6}/64 dev eth0`);

    // Another MAC: nothing of it passes, its own again: all as before.
    await inContainer('ip link set dev eth0 address 02:00:00:f1:00:99');
    expect(await clientPings()).toBe(false);
    await inContainer(`ip link set dev eth0 address ${mac}`);
    expect(await clientPings()).toBe(true);
  }, 60_000);

  it('lets in only what the ingress rules allow, and the replies to what the container sends', async () => {
    const started = process.hrtime.bigint();
    expect(await agent.setFilter(filter(2, { ingress: [rule('ICMP', null)], egress: null }))).toEqual({ instanceId, revision: 2 });
    console.log(`one instance's filter applied in ${elapsed(started).toFixed(1)} ms (instance.filter.set, kept and loaded)`);
    expect(await clientFetches()).toBe(false);
    expect(await clientPings()).toBe(true);
    expect(await waitUntil(hostPings, 10_000, 500)).toBe(true);
    // Its own connections out get their replies in.
    expect(await containerFetches(9090)).toBe(true);

    expect(await agent.setFilter(filter(3, { ingress: [rule('ICMP', null), rule('TCP', 8080, [net4])], egress: null }))).toEqual({ instanceId, revision: 3 });
    expect(await clientFetches()).toBe(true);

    expect(await agent.setFilter(filter(4, { ingress: [rule('TCP', 8080, [net4])], egress: null }))).toEqual({ instanceId, revision: 4 });
    expect(await clientPings()).toBe(false);
    expect(await hostPings()).toBe(false);
    expect(await clientFetches()).toBe(true);

    // A late, older filter changes nothing, and the answer says which revision holds.
    expect(await agent.setFilter(filter(2, null))).toEqual({ instanceId, revision: 4 });
    expect(await clientPings()).toBe(false);
  }, 60_000);

  it('lets out only what the egress rules allow once there are some, and replies', async () => {
    const egress = { ingress: [rule('TCP', 8080, [net4]), rule('ICMP', null)], egress: [rule('TCP', 9090, [`${client.ip}/32`])] };
    expect(await agent.setFilter(filter(5, egress))).toEqual({ instanceId, revision: 5 });
    expect(await containerFetches(9090)).toBe(true);
    expect(await containerFetches(9091)).toBe(false);
    expect(await containerPings()).toBe(false);
    // The container still answers what comes in.
    expect(await clientPings()).toBe(true);
    expect(await clientFetches()).toBe(true);
  }, 60_000);

  it("puts back the rules of instances gone from the agent's tables, flushed outside it, each whatever another's failure", async () => {
    expect(await agent.restoreMissingFilters()).toEqual({ restored: [], failed: [] });
    const stopped = (name: string, last: number) => ({
      ...spec, instanceId: randomUUID(), name, network: { bridge, ipv4: `203.0.113.${last}/28`, ipv6: `2001:db8:f1::${last}/64` },
    });
    // Two more instances, made stopped: one whose kept filter has been damaged since (its rules cannot be put back), one whole.
    const [other, third] = [stopped('fw-other', 244), stopped('fw-third', 245)];
    await agent.create(other, false);
    await agent.create(third, false);
    const flush = async () => {
      // As a reload of the host's own nftables rules does (`flush ruleset`): the container is unfiltered.
      await deleteTables(table);
      expect(await agent.filters.firewall.heldPorts()).toEqual(new Map());
      expect(await containerFetches(9091)).toBe(true);
    };
    try {
      writeFileSync(await folders.runtimeFile(other.instanceId, 'filter.json'), '{"instanceId":');
      await flush();
      const started = process.hrtime.bigint();
      const { restored, failed } = await agent.restoreMissingFilters();
      console.log(`two instances' rules put back after a flush in ${elapsed(started).toFixed(1)} ms`);
      expect(restored.sort()).toEqual([instanceId, third.instanceId].sort());
      expect(failed).toEqual([expect.stringContaining(other.instanceId)]);
      expect(await containerFetches(9091)).toBe(false);
      expect(await containerFetches(9090)).toBe(true);
      expect([...(await agent.filters.firewall.heldPorts()).keys()].sort()).toEqual([instanceId, third.instanceId].sort());
      // Compute's filter, as it sends every one again at the agent's start, replaces the damaged one, and its rules are back.
      const othersFilter = { instanceId: other.instanceId, revision: 1, addresses: ['203.0.113.244', '2001:db8:f1::244'], firewall: null };
      expect(await agent.setFilter(othersFilter)).toEqual({ instanceId: other.instanceId, revision: 1 });
      expect(await agent.filters.kept(other.instanceId)).toEqual(othersFilter);
      expect((await agent.filters.firewall.heldPorts()).has(other.instanceId)).toBe(true);

      // The third's spec damaged (a MAC no rule can be written for): the instances' rules written together fail,
      // and are written one by one, so that the others' are put back all the same.
      const thirdSpec = folders.file(third.instanceId, 'spec.json');
      writeFileSync(thirdSpec, JSON.stringify({ ...third, network: { ...third.network, mac: 'not-a-mac' } }));
      await flush();
      const again = await agent.restoreMissingFilters();
      expect(again.restored.sort()).toEqual([instanceId, other.instanceId].sort());
      expect(again.failed).toEqual([expect.stringContaining(third.instanceId)]);
      expect(again.failed[0]).toContain('not a MAC address');
      expect(await containerFetches(9091)).toBe(false);
      expect(await containerFetches(9090)).toBe(true);
    } finally {
      await agent.delete(other.instanceId);
      await agent.delete(third.instanceId);
    }
    expect(await agent.restoreMissingFilters()).toEqual({ restored: [], failed: [] });
  }, 90_000);

  it('holds the rules through an agent restart and a stop and start, and takes them away with the instance', async () => {
    // Another instance, made stopped, whose kept filter is damaged before the restart: its rules in place stay as they are.
    const spare = { ...spec, instanceId: randomUUID(), name: 'fw-spare', network: { bridge, ipv4: '203.0.113.246/28', ipv6: '2001:db8:f1::246/64' } };
    await agent.create(spare, false);
    writeFileSync(await folders.runtimeFile(spare.instanceId, 'filter.json'), '{"instanceId":');
    // A new agent on the same folders (as after a kill -9): the rules in place hold before and after it enforces what it kept.
    agent = agentOn(new InstanceFolders(hostId, dataDir));
    expect(await containerFetches(9091)).toBe(false);
    const started = process.hrtime.bigint();
    expect(await agent.enforceHeldFilters()).toEqual({ ports: 1, failed: [expect.stringContaining(spare.instanceId)] });
    console.log(`agent start: 1 held instance's filter enforced again in ${elapsed(started).toFixed(1)} ms`);
    expect(await containerFetches(9091)).toBe(false);
    expect(await containerFetches(9090)).toBe(true);
    expect([...(await agent.filters.firewall.heldPorts()).keys()].sort()).toEqual([instanceId, spare.instanceId].sort());
    await agent.delete(spare.instanceId);
    expect(await agent.setFilter(filter(4, null))).toEqual({ instanceId, revision: 5 });

    expect(await agent.stop(instanceId)).toMatchObject({ state: 'STOPPED' });
    expect(await agent.start(instanceId)).toMatchObject({ state: 'RUNNING' });
    await serveInContainer();
    expect(await containerFetches(9091)).toBe(false);
    expect(await containerFetches(9090)).toBe(true);
    expect(await clientFetches()).toBe(true);

    await agent.delete(instanceId);
    // Its rules were the last: the agent's tables are gone too.
    expect(await runProgram('nft', ['list', 'tables'])).not.toContain(table);
  }, 120_000);

  it("loads 1,000 instances' filters in one transaction", async () => {
    const firewall = new HostFirewall(`awan-fwbench-${suffix}`);
    const ports = Array.from({ length: 1000 }, (_, index) => portWithFirewall(index));
    try {
      const timed = async (what: string, work: () => Promise<unknown>) => {
        const started = process.hrtime.bigint();
        await work();
        const ms = elapsed(started);
        console.log(`${what}: ${ms.toFixed(0)} ms`);
        return ms;
      };
      await timed("1,000 instances' filters loaded (empty tables)", () => firewall.reconcile(ports));
      let held = new Map<string, string>();
      await timed("1,000 instances' ports listed from the tables (the agent's check every FIREWALL_CHECK_MS)", async () => (held = await firewall.heldPorts()));
      expect(held.size).toBe(1000);
      await timed("1,000 instances' filters loaded again (an agent's start)", () => firewall.reconcile(ports));
      await deleteTables(firewall.tableName);
      expect((await firewall.heldPorts()).size).toBe(0);
      await timed("1,000 instances' filters put back after a flush, as the agent's check does (one transaction)", () => firewall.enforce(ports));
      expect((await firewall.heldPorts()).size).toBe(1000);
      await timed("one instance's filter applied beside 999 others", () => firewall.enforce([ports[500]]));
      await timed("one instance's rules removed beside 999 others", () => firewall.remove([ports[500].filter.instanceId]));
      expect((await firewall.heldPorts()).size).toBe(999);
    } finally {
      await firewall.reconcile([]);
    }
    expect(await runProgram('nft', ['list', 'tables'])).not.toContain(`awan-fwbench-${suffix}`);
  }, 300_000);

  it("writes a new port's rules beside the others' without writing the shared chains again, except at the agent's start or where the tables were removed by hand", async () => {
    const name = `awan-fwshared-${suffix}`;
    const firewall = new HostFirewall(name);
    const [first, second, third] = [0, 1, 2].map(portWithFirewall);
    // The rules of a hooked chain every port's traffic passes, by their handles: written again, they get new ones.
    const hookedRules = async () => (await runProgram('nft', ['-a', 'list', 'chain', 'bridge', name, 'prerouting'])).match(/vmap @spoof # handle \d+/g);
    const held = async () => [...(await firewall.heldPorts()).keys()].sort();
    try {
      await firewall.enforce([first]);
      const written = await hookedRules();
      expect(written).toHaveLength(1);
      await firewall.enforce([second]);
      expect(await hookedRules()).toEqual(written);
      expect(await held()).toEqual([first, second].map((port) => port.filter.instanceId).sort());
      await firewall.reconcile([first, second]);
      expect(await hookedRules()).not.toEqual(written);
      await deleteTables(name);
      await firewall.enforce([third]);
      expect(await held()).toEqual([third.filter.instanceId]);
      expect(await hookedRules()).toHaveLength(1);
    } finally {
      await firewall.reconcile([]);
    }
    expect(await runProgram('nft', ['list', 'tables'])).not.toContain(name);
  }, 60_000);

  it('leaves the rules of untouched instances as they are at an agent start, whose others it reconciles', async () => {
    const name = `awan-fwkeep-${suffix}`;
    const firewall = new HostFirewall(name);
    const [first, second, third] = [0, 1, 2].map(portWithFirewall);
    const held = async () => [...(await firewall.heldPorts()).keys()].sort();
    const chainOf = (port: PortFilter) => runProgram('nft', ['list', 'chain', 'bridge', name, `ingress-${port.filter.instanceId}`]);
    try {
      await firewall.reconcile([first, second, third]);
      const firstChain = await chainOf(first);
      // The first untouched (its kept filter unreadable), the second written anew, the third no longer held: it goes.
      await firewall.reconcile([{ ...second, filter: { ...second.filter, revision: 2, firewall: null } }], [first.filter.instanceId]);
      expect(await held()).toEqual([first, second].map((port) => port.filter.instanceId).sort());
      expect(await chainOf(first)).toBe(firstChain);
      // Nothing to write, one untouched: the others' go, the tables stay for it.
      await firewall.reconcile([], [first.filter.instanceId]);
      expect(await held()).toEqual([first.filter.instanceId]);
      expect(await chainOf(first)).toBe(firstChain);
    } finally {
      await firewall.reconcile([]);
    }
    expect(await runProgram('nft', ['list', 'tables'])).not.toContain(name);
  }, 60_000);
});
