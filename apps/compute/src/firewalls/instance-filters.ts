import { AppError, type EventEnvelope, type InstanceFilter, type InstanceFilterEvents } from '#libs/contracts';
import { readState, type EventStore } from '#libs/event-store';
import type { ServiceClient } from '#libs/messaging';
import type { Hosts } from '../hosts/hosts.js';
import { instanceDecider, instanceStreamId, type InstanceState } from '../instances/instance.decider.js';
import type { InstancesRepository } from '../instances/instances.repository.js';

/** Instances asked of network at once: the largest filters network makes (ADDRESSES_PER_FIREWALL) still fit in one NATS message. */
export const FILTERS_PER_REQUEST = 8;
/** A host writes the ruleset and loads it with one `nft -f`: well under a second, unless it is away. */
const FILTER_SET_TIMEOUT_MS = 15_000;
/** Filters sent to one host at once when all of them go. */
const CONCURRENT_SETS = 8;

export const FILTER_CHANGE_EVENT_TYPES = ['InstanceFilterChanged'] as const;
/** A new agent, or a host back from DOWN, is sent every filter of its instances. */
export const HOST_FILTER_EVENT_TYPES = ['HostAgentStarted', 'HostUp'] as const;

/** What the hosts of these instances are to enforce now, as network has it; UNAVAILABLE while network is away (asked again). */
async function filtersOf(client: ServiceClient, instanceIds: readonly string[]): Promise<InstanceFilter[]> {
  const filters: InstanceFilter[] = [];
  for (let i = 0; i < instanceIds.length; i += FILTERS_PER_REQUEST) {
    const ids = instanceIds.slice(i, i + FILTERS_PER_REQUEST);
    const answered = await client.call('network.filter.ofInstances', { instanceIds: ids });
    for (const id of ids) {
      const filter = answered.find((f) => f.instanceId === id);
      if (!filter) throw AppError.unavailable(`network answered no filter for instance ${id}`);
      filters.push(filter);
    }
  }
  return filters;
}

/**
 * Network's filters of instances, each as it is when asked or later: lookups made at the same
 * moment (creates and changes handled at once) go to network together, one request per
 * FILTERS_PER_REQUEST instances, an instance asked twice meanwhile asked once.
 */
export class FilterLookups {
  private waiting = new Map<string, { resolve: (filter: InstanceFilter) => void; reject: (error: unknown) => void }[]>();

  constructor(private readonly client: ServiceClient) {}

  /** The one instance's filter: what each command that makes it run on a host carries. */
  of(instanceId: string): Promise<InstanceFilter> {
    return new Promise((resolve, reject) => {
      if (this.waiting.size === 0) setImmediate(() => this.ask());
      this.waiting.set(instanceId, [...(this.waiting.get(instanceId) ?? []), { resolve, reject }]);
    });
  }

  /** Every filter of these instances, as one or a few requests. */
  all(instanceIds: readonly string[]): Promise<InstanceFilter[]> {
    return filtersOf(this.client, instanceIds);
  }

  private ask(): void {
    const waiting = this.waiting;
    this.waiting = new Map();
    const ids = [...waiting.keys()];
    for (let i = 0; i < ids.length; i += FILTERS_PER_REQUEST) {
      const batch = ids.slice(i, i + FILTERS_PER_REQUEST);
      filtersOf(this.client, batch).then(
        (filters) => filters.forEach((filter, n) => waiting.get(batch[n])!.forEach((caller) => caller.resolve(filter))),
        (error: unknown) => batch.forEach((id) => waiting.get(id)!.forEach((caller) => caller.reject(error))),
      );
    }
  }
}

/**
 * The host whose port carries the instance's filter: none before its host is to create it (the
 * create carries it) and none once it is gone from there (deleted, or a create that failed).
 */
export function filterHostOf(state: InstanceState): string | null {
  if (!state.hostId || state.status === 'DELETING' || state.status === 'DELETED') return null;
  if (state.operation?.kind === 'address' || (state.status === 'ERROR' && !state.provisioned)) return null;
  return state.hostId;
}

/**
 * Keeps each host enforcing what network says of its instances: a changed filter goes to the
 * instance's host (instance.filter.set), and all of a host's go to it when a new agent runs there or
 * the host is back from DOWN. A host holds a filter only when newer than its own, so sending one
 * again, or late, changes nothing. A host that is DOWN is passed over: its return sends it them all.
 */
export class InstanceFilters {
  constructor(
    private readonly store: EventStore,
    private readonly instances: InstancesRepository,
    private readonly hosts: Hosts,
    private readonly client: ServiceClient,
    private readonly lookups: FilterLookups,
  ) {}

  /** Network's InstanceFilterChanged: the instance's host enforces its filter as it is now. */
  async sendChanged(event: EventEnvelope): Promise<void> {
    const { instanceId } = event.data as InstanceFilterEvents['InstanceFilterChanged'];
    const streamId = instanceStreamId(instanceId);
    // The change that gave the instance its addresses, made as network answered its provisioner (caused by its InstanceScheduled,
    // among a create's first events): its create, asked only after that answer, and every later command that runs it carry this
    // filter or a newer one.
    const created = await this.store.readStream(streamId, undefined, { afterVersion: 0, limit: 3 });
    if (created.find((e) => e.type === 'InstanceScheduled')?.eventId === event.metadata.causationId) return;
    const { state } = await readState(this.store, streamId, instanceDecider);
    const hostId = filterHostOf(state);
    if (!hostId) return;
    if (await this.isUp(hostId)) await this.send(hostId, await this.lookups.of(instanceId));
    if (state.status === 'MIGRATING') {
      // It runs on its source until it has landed, and its new host took the filter network had when it
      // adopted it, which may be older than this one: sent again once it is there.
      throw AppError.unavailable(`instance ${instanceId} is moving: its filter is sent again once it has landed`);
    }
  }

  /** HostAgentStarted or HostUp: every filter of the host's instances, as they are now. */
  async sendAll(event: EventEnvelope): Promise<void> {
    const { hostId } = event.data as { hostId: string };
    if (!(await this.isUp(hostId))) return;
    const held = (await this.instances.onHost(hostId)).filter((row) => filterHostOf(row.state) === hostId);
    const filters = await this.lookups.all(held.map((row) => row.id));
    const refused: string[] = [];
    for (let i = 0; i < filters.length; i += CONCURRENT_SETS) {
      const batch = filters.slice(i, i + CONCURRENT_SETS);
      const results = await Promise.allSettled(batch.map((filter) => this.send(hostId, filter)));
      results.forEach((result, n) => {
        if (result.status === 'rejected') refused.push(`${batch[n].instanceId}: ${(result.reason as Error).message}`);
      });
    }
    // Sent again whole, after a backoff: those it took already change nothing.
    if (refused.length > 0) throw new Error(`host ${hostId} took ${filters.length - refused.length} of ${filters.length} filters; not ${refused.join('; ')}`);
  }

  private async isUp(hostId: string): Promise<boolean> {
    return (await this.hosts.find(hostId))?.status !== 'DOWN';
  }

  private send(hostId: string, filter: InstanceFilter) {
    return this.client.callAgent(hostId, 'instance.filter.set', { filter }, FILTER_SET_TIMEOUT_MS);
  }
}
