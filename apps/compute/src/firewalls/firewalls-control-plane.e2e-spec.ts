import type { CreateInstanceInput, FirewallRule, InstanceFilter } from '#libs/contracts';
import { uniqueName, waitFor } from '#libs/testing';
import { startComputeSystem, type ComputeSystem } from '../../test/compute-system.js';

const container = (name: string): CreateInstanceInput => ({
  name, kind: 'CONTAINER', imageId: 'dev-busybox-rootfs', planId: 'ct-512m', regionId: 'local', billingCycle: 'HOURLY',
});
const ssh: FirewallRule = { direction: 'INGRESS', protocol: 'TCP', ports: '22', addresses: ['198.51.100.0/25'], description: null };
const web: FirewallRule = { direction: 'INGRESS', protocol: 'TCP', ports: '80', addresses: ['0.0.0.0/0'], description: 'web' };

/**
 * Compute's side of firewalls, with real compute and network on a simulated host (what the host does
 * with a filter is the agent's, tested with nftables in apps/host-agent): the filter each command that
 * runs an instance carries, each change network makes sent to the instance's host, every filter sent
 * again to a new agent, and the attaches and detaches in the instance's history.
 */
describe('firewalls through compute and network, on a simulated host', () => {
  let system: ComputeSystem;
  const accountId = uniqueName('acct-');
  const scope = { accountIds: [accountId] };
  const hostFilter = (instanceId: string) => system.simulatedHost!.filterOf(instanceId);
  const filterSets = () => system.simulatedHost!.answered.get('instance.filter.set') ?? 0;
  const waitForFilter = (instanceId: string, what: string, check: (filter: InstanceFilter) => boolean) =>
    waitFor(() => {
      const filter = hostFilter(instanceId);
      return filter && check(filter) ? filter : undefined;
    }, 20_000, `the host to enforce ${what} on ${instanceId} (holds ${JSON.stringify(hostFilter(instanceId))})\n${system.compute.output().slice(-3000)}`);
  const firewallEvents = async (instanceId: string) =>
    (await system.instance('history', { id: instanceId, first: 100, accountIds: [accountId] })).edges
      .map((e) => e.node)
      .filter((e) => e.type.startsWith('InstanceFirewall'))
      .map((e) => ({ type: e.type, ...JSON.parse(e.data) }));

  beforeAll(async () => {
    system = await startComputeSystem({ INSTANCE_TIMEOUT_MS: '120000' }, { host: 'simulated' });
  }, 120_000);
  afterAll(() => system?.close(), 120_000);

  it("enforces each change on the instance's host, sends a new agent every filter, and keeps attaches and detaches in the history", async () => {
    const instance = await system.instance('create', { accountId, input: container(uniqueName('fw-')) });
    await system.waitForStatus(instance.id, ['RUNNING']);
    const { addresses } = (await system.client.call('network.filter.ofInstances', { instanceIds: [instance.id] }))[0];
    expect(addresses).toHaveLength(2);
    // Created with its filter: its own addresses, no firewall.
    expect(hostFilter(instance.id)).toMatchObject({ instanceId: instance.id, addresses, firewall: null });

    const firewall = await system.client.call('network.firewall.create', { ...scope, accountId, input: { name: 'admin', rules: [ssh], instanceIds: [instance.id] } });
    const attached = await waitForFilter(instance.id, 'the ssh rule', (f) => f.firewall?.ingress.some((r) => r.ports?.from === 22) === true);
    expect(attached.firewall).toMatchObject({ ingress: [{ protocol: 'TCP', ports: { from: 22, to: 22 } }], egress: null });

    await system.client.call('network.firewall.setRules', { ...scope, id: firewall.id, rules: [ssh, web] });
    const widened = await waitForFilter(instance.id, 'the web rule', (f) => f.firewall?.ingress.length === 2);
    expect(widened.revision).toBeGreaterThan(attached.revision);

    // A new agent on the host is sent the filter again, unchanged.
    const sentBefore = filterSets();
    system.simulatedHost!.restartAgent();
    await waitFor(() => filterSets() > sentBefore, 20_000, 'the filters sent to the new agent');
    expect(hostFilter(instance.id)).toEqual(widened);

    await system.client.call('network.firewall.detach', { ...scope, id: firewall.id, instanceId: instance.id });
    await waitForFilter(instance.id, 'no firewall', (f) => f.firewall === null);
    await waitFor(async () => (await firewallEvents(instance.id)).length === 2 || undefined, 20_000, 'the attach and the detach in the history');
    expect(await firewallEvents(instance.id)).toEqual([
      { type: 'InstanceFirewallAttached', firewallId: firewall.id, name: 'admin' },
      { type: 'InstanceFirewallDetached', firewallId: firewall.id, name: 'admin', reason: 'detached' },
    ]);

    // Attached again, then the instance is deleted: network detaches it, and the history says why.
    await system.client.call('network.firewall.attach', { ...scope, id: firewall.id, instanceId: instance.id });
    await waitForFilter(instance.id, 'the firewall again', (f) => f.firewall !== null);
    await system.instance('delete', { id: instance.id });
    await system.waitForStatus(instance.id, ['DELETED']);
    await waitFor(async () => (await firewallEvents(instance.id)).length === 4 || undefined, 20_000, 'the detach of a deleted instance');
    expect((await firewallEvents(instance.id)).slice(2)).toEqual([
      { type: 'InstanceFirewallAttached', firewallId: firewall.id, name: 'admin' },
      { type: 'InstanceFirewallDetached', firewallId: firewall.id, name: 'admin', reason: 'instance deleted' },
    ]);
    expect((await system.instance('get', { id: instance.id }))?.status).toBe('DELETED');
  }, 180_000);
});
