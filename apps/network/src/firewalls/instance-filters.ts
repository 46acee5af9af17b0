import type pg from 'pg';
import { AppError, type EventMetadata, type InstanceFilter, type InstanceFilterEvents, isUuid } from '#libs/contracts';
import type { DomainEvent, EventStore, Sql, StreamAppend } from '#libs/event-store';
import { filterRuleOf } from './firewall-rules.js';
import type { FirewallsRepository } from './firewalls.repository.js';

export type InstanceFilterEvent = DomainEvent<'InstanceFilterChanged', InstanceFilterEvents['InstanceFilterChanged']>;

export const filterStreamId = (instanceId: string) => `filter-${instanceId}`;

/** The most instances one request asks the filters of: a host's worth, in one reply NATS carries. */
const FILTERS_PER_REQUEST = 1000;

/**
 * What each instance's host is to enforce: its addresses (anti-spoofing) and its firewalls'
 * rules. Every change to either is an InstanceFilterChanged on the instance's `filter-<id>`
 * stream, in the transaction that makes the change, whose version is the filter's revision.
 */
export class InstanceFilters {
  constructor(
    private readonly pool: pg.Pool,
    private readonly store: EventStore,
    private readonly firewalls: FirewallsRepository,
  ) {}

  /**
   * Records, in the caller's transaction, that these instances' filters changed. Two changes to
   * one instance at once collide on its stream's version: the later transaction is retried whole.
   */
  async changed(tx: Sql, instanceIds: Iterable<string>, metadata: EventMetadata): Promise<void> {
    await this.store.appendToStreams(await this.changes(tx, instanceIds), { metadata, tx });
  }

  /** What `changed` appends, for a caller that appends it with other events of its transaction in one statement. */
  async changes(tx: Sql, instanceIds: Iterable<string>): Promise<StreamAppend[]> {
    // In one order, so two transactions changing the same instances never wait on each other crosswise.
    const ids = [...new Set(instanceIds)].sort();
    const versions = await this.store.streamVersions(ids.map(filterStreamId), tx);
    return ids.map((instanceId) => {
      const streamId = filterStreamId(instanceId);
      const expectedVersion = versions.get(streamId)!;
      const event: InstanceFilterEvent = { type: 'InstanceFilterChanged', data: { instanceId, revision: expectedVersion + 1 } };
      return { streamId, events: [event], expectedVersion };
    });
  }

  /** Each instance's filter now; an instance network holds nothing for has revision 0, no address and no firewall. */
  async of(instanceIds: unknown): Promise<InstanceFilter[]> {
    if (!Array.isArray(instanceIds) || !instanceIds.every((id) => typeof id === 'string' && isUuid(id.toLowerCase()))) {
      throw AppError.badInput('instanceIds', 'must be a list of instance ids');
    }
    if (instanceIds.length > FILTERS_PER_REQUEST) throw AppError.badInput('instanceIds', `at most ${FILTERS_PER_REQUEST} instances a request`);
    const ids = [...new Set(instanceIds.map((id: string) => id.toLowerCase()))];
    const filters = await this.firewalls.filters(this.pool, ids);
    return ids.map((instanceId) => {
      const { revision, addresses, firewalls, rules } = filters.get(instanceId)!;
      const egress = rules.filter((rule) => rule.direction === 'EGRESS').map(filterRuleOf);
      return {
        instanceId, revision, addresses,
        firewall: firewalls === 0 ? null : {
          ingress: rules.filter((rule) => rule.direction === 'INGRESS').map(filterRuleOf),
          egress: egress.length > 0 ? egress : null,
        },
      };
    });
  }
}
