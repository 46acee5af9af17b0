import {
  ADDRESSES_PER_FIREWALL, type EventEnvelope, FIREWALLS_PER_INSTANCE, type FilterRule, type InstanceFilter, RULES_PER_FIREWALL,
} from '#libs/contracts';
import { fold, type EventStore } from '#libs/event-store';
import type { ServiceClient } from '#libs/messaging';
import type { Hosts } from '../hosts/hosts.js';
import { instanceDecider, type InstanceEvent } from '../instances/instance.decider.js';
import type { InstancesRepository } from '../instances/instances.repository.js';
import { FILTERS_PER_REQUEST, FilterLookups, filterHostOf, InstanceFilters } from './instance-filters.js';

const requested: InstanceEvent = {
  type: 'InstanceRequested',
  data: { instanceId: '5f0e6a2c-1111-4222-8333-944455556666', accountId: 'acc-1', name: 'web-1', kind: 'VM', imageId: 'img', planId: 'plan', regionId: 'local', billingCycle: 'HOURLY' },
};
const scheduled: InstanceEvent = { type: 'InstanceScheduled', data: { hostId: 'node-1' } };
const addressed: InstanceEvent = { type: 'InstanceAddressed', data: { addresses: [] } };
const started: InstanceEvent = { type: 'InstanceStarted', data: {} };
const hostOf = (events: InstanceEvent[]) => filterHostOf(fold(instanceDecider, events));

describe("the host that enforces an instance's filter", () => {
  it('is none before its host is asked to create it: the create carries the filter', () => {
    expect(hostOf([requested])).toBeNull();
    expect(hostOf([requested, scheduled])).toBeNull();
    expect(hostOf([requested, scheduled, addressed])).toBe('node-1');
  });

  it('is its host while it holds it, stopped, failed after it ran, or moving away from it', () => {
    const running = [requested, scheduled, addressed, started];
    expect(hostOf(running)).toBe('node-1');
    expect(hostOf([...running, { type: 'InstanceStopRequested', data: { force: false } }, { type: 'InstanceStopped', data: {} }])).toBe('node-1');
    expect(hostOf([...running, { type: 'InstanceFailed', data: { reason: 'x' } }])).toBe('node-1');
    const moving: InstanceEvent = { type: 'InstanceMigrationRequested', data: { fromHostId: 'node-1', toHostId: 'node-2', live: true, reason: 'admin' } };
    expect(hostOf([...running, moving])).toBe('node-1');
    expect(hostOf([...running, moving, { type: 'InstanceMigrated', data: { fromHostId: 'node-1', toHostId: 'node-2' } }])).toBe('node-2');
  });

  it('is none once it is gone from there: deleted, or a create that failed', () => {
    expect(hostOf([requested, scheduled, addressed, { type: 'InstanceFailed', data: { reason: 'no image' } }])).toBeNull();
    const deleting: InstanceEvent[] = [requested, scheduled, addressed, started, { type: 'InstanceDeletionRequested', data: {} }];
    expect(hostOf(deleting)).toBeNull();
    expect(hostOf([...deleting, { type: 'InstanceDeleted', data: {} }])).toBeNull();
  });
});

describe('a change of filter sent to the host', () => {
  const instanceId = requested.data.instanceId;
  const asRecorded = (events: InstanceEvent[]) => events.map((event, i) => ({ ...event, eventId: `event-${i + 1}`, streamId: `instance-${instanceId}`, version: i + 1 }));
  const changed = (causationId: string, revision: number) => ({
    eventId: `change-${revision}`, type: 'InstanceFilterChanged', streamId: `filter-${instanceId}`, version: revision, occurredAt: new Date().toISOString(),
    data: { instanceId, revision }, metadata: { correlationId: 'c', causationId, actor: { kind: 'system' } },
  }) as unknown as EventEnvelope;

  /** Compute's filters over an instance stream as given, network and the host answering what they are asked. */
  function filtersOver(events: InstanceEvent[]) {
    const asked: string[][] = [];
    const sent: { hostId: string; filter: InstanceFilter }[] = [];
    const client = {
      call: async (subject: string, { instanceIds }: { instanceIds: string[] }) => {
        asked.push(instanceIds);
        return instanceIds.map((id) => ({ instanceId: id, revision: 2, addresses: ['198.51.100.9'], firewall: null }));
      },
      callAgent: async (hostId: string, _command: string, { filter }: { filter: InstanceFilter }) => {
        sent.push({ hostId, filter });
        return { instanceId: filter.instanceId, revision: filter.revision };
      },
    } as unknown as ServiceClient;
    // No projection keeps the instance's state here: it is folded from the stream as given.
    const store = { readStream: async () => asRecorded(events), projections: [] } as unknown as EventStore;
    const hosts = { find: async (hostId: string) => ({ id: hostId, status: 'UP' }) } as unknown as Hosts;
    const filters = new InstanceFilters(store, {} as InstancesRepository, hosts, client, new FilterLookups(client));
    return { filters, asked, sent };
  }

  it("is not sent again where network made it answering the provisioner's request for addresses (its create carries it), whichever compute heard of first", async () => {
    for (const events of [[requested, scheduled], [requested, scheduled, addressed], [requested, scheduled, addressed, started]]) {
      const { filters, asked, sent } = filtersOver(events);
      await filters.sendChanged(changed('event-2', 1));
      expect({ asked, sent }).toEqual({ asked: [], sent: [] });
    }
  });

  it('goes to the host of the instance, as network has it now, for any other change', async () => {
    const { filters, asked, sent } = filtersOver([requested, scheduled, addressed, started]);
    await filters.sendChanged(changed('firewall-attached', 2));
    expect(asked).toEqual([[instanceId]]);
    expect(sent).toEqual([{ hostId: 'node-1', filter: { instanceId, revision: 2, addresses: ['198.51.100.9'], firewall: null } }]);
  });

  it('asks network once for the instances whose filters are looked up at the same moment', async () => {
    const { asked } = filtersOver([]);
    const client = { call: async (_subject: string, { instanceIds }: { instanceIds: string[] }) => {
      asked.push(instanceIds);
      return instanceIds.map((id) => ({ instanceId: id, revision: 1, addresses: [], firewall: null }));
    } } as unknown as ServiceClient;
    const lookups = new FilterLookups(client);
    const ids = Array.from({ length: FILTERS_PER_REQUEST + 5 }, (_, i) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`);
    const filters = await Promise.all([...ids, ids[0]].map((id) => lookups.of(id)));
    expect(filters.map((f) => f.instanceId)).toEqual([...ids, ids[0]]);
    expect(asked.map((batch) => batch.length)).toEqual([FILTERS_PER_REQUEST, 5]);
  });
});

describe("network's answer to one request for filters", () => {
  it('fits in a NATS message (1 MiB) with the largest filters network can make, as many as are asked at once', () => {
    // The longest text each part can have: IPv6 without a zero to shorten, ports of five digits.
    const ipv6 = (n: number) => `ffff:ffff:ffff:ffff:ffff:ffff:${(0xf000 + Math.floor(n / 0x1000)).toString(16)}:${(0xf000 + (n % 0x1000)).toString(16)}`;
    let n = 0;
    const rule = (count: number): FilterRule => ({ protocol: 'UDP', ports: { from: 65534, to: 65535 }, addresses: Array.from({ length: count }, () => `${ipv6(n++)}/128`) });
    // A firewall's CIDRs spread over its 50 rules, five firewalls' rules in one direction.
    const firewallRules = () => Array.from({ length: RULES_PER_FIREWALL }, (_, i) => rule(Math.floor(ADDRESSES_PER_FIREWALL / RULES_PER_FIREWALL) + (i < ADDRESSES_PER_FIREWALL % RULES_PER_FIREWALL ? 1 : 0)));
    const largest = (i: number): InstanceFilter => ({
      instanceId: `5f0e6a2c-1111-4222-8333-${String(i).padStart(12, '0')}`, revision: Number.MAX_SAFE_INTEGER,
      addresses: Array.from({ length: 256 }, () => ipv6(n++)), // the most a host takes
      firewall: { ingress: Array.from({ length: FIREWALLS_PER_INSTANCE }, firewallRules).flat(), egress: [] },
    });
    const answer = Array.from({ length: FILTERS_PER_REQUEST }, (_, i) => largest(i));
    expect(answer[0].firewall!.ingress.flatMap((r) => r.addresses)).toHaveLength(FIREWALLS_PER_INSTANCE * ADDRESSES_PER_FIREWALL);
    // With room for the reply's envelope.
    expect(Buffer.byteLength(JSON.stringify({ ok: true, data: answer }))).toBeLessThan(1024 * 1024 - 4096);
  });
});
