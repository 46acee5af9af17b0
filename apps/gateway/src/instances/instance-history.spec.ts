import type { InstanceHistoryEntry } from '#libs/contracts';
import { mentionsHosts, tenantHistory } from './instance-history.js';

const page = (events: [type: string, data: unknown][]) => ({
  edges: events.map(([type, data], i) => ({ cursor: String(i), node: { id: `e${i}`, type, occurredAt: '2026-11-01T00:00:00.000Z', data: JSON.stringify(data) } satisfies InstanceHistoryEntry })),
  pageInfo: { hasNextPage: false, endCursor: null },
});
const dataOf = (shown: ReturnType<typeof tenantHistory>) => shown.edges.map((e) => [e.node.type, JSON.parse(e.node.data)]);

describe("an instance's history as a tenant sees it", () => {
  it('leaves out the host, where it moved from and to, and its bridge and gateway', () => {
    const history = page([
      ['InstanceRequested', { instanceId: 'i', name: 'web', planId: 'ct-512m' }],
      ['InstanceScheduled', { hostId: 'h1' }],
      ['InstanceAddressed', { addresses: [{ ipId: 'ip', family: 'IPV4', address: '192.0.2.10', prefixLength: 28, gateway: '192.0.2.1', bridge: 'awanbr0' }] }],
      ['InstanceMigrationRequested', { fromHostId: 'h1', toHostId: null, live: true, reason: 'drain' }],
      ['InstanceMigrated', { fromHostId: 'h1', toHostId: 'h2' }],
    ]);
    expect(dataOf(tenantHistory(history, []))).toEqual([
      ['InstanceRequested', { instanceId: 'i', name: 'web', planId: 'ct-512m' }],
      ['InstanceScheduled', {}],
      ['InstanceAddressed', { addresses: [{ ipId: 'ip', family: 'IPV4', address: '192.0.2.10', prefixLength: 28 }] }],
      ['InstanceMigrationRequested', { live: true, reason: 'drain' }],
      ['InstanceMigrated', {}],
    ]);
  });

  it("hides host ids and names in a failure's reason, which alone needs them", () => {
    const failed = page([['InstanceFailed', { reason: 'create failed on host node-7.dc1 (h-7): lxc-start exited with 1' }]]);
    expect(mentionsHosts(failed)).toBe(true);
    expect(mentionsHosts(page([['InstanceScheduled', { hostId: 'h-7' }]]))).toBe(false);
    expect(dataOf(tenantHistory(failed, [{ id: 'h-7', name: 'node-7.dc1' }, { id: 'h-70', name: 'node-70' }]))).toEqual([
      ['InstanceFailed', { reason: 'create failed on host (a host) ((a host)): lxc-start exited with 1' }],
    ]);
  });
});
