import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import {
  AppError, type CountedPage, type CreateFirewallInput, type EventMetadata, type FirewallView, isUuid, type Scope,
} from '#libs/contracts';
import { decideInTransaction, withRetriedTransaction, type EventStore, type SessionSettings, type Sql } from '#libs/event-store';
import { accountsOf, decodeCursor, encodeCursor, inScope, pageSize, toPage } from '#libs/messaging';
import type { AccountQueue } from '#libs/platform';
import { heldAtLimit } from '../account-limits.js';
import type { InstancesRepository } from '../instance-addressing/instances.repository.js';
import { firewallDecider, firewallStreamId, type AttachTarget, type FirewallCommand, type FirewallEvent } from './firewall.decider.js';
import type { FirewallsRepository } from './firewalls.repository.js';
import type { InstanceFilters } from './instance-filters.js';

/** The instances whose hosts enforce something new after these events: those attached or detached, or holding new rules. */
function instancesChangedBy(events: readonly FirewallEvent[]): string[] {
  return events.flatMap((event) => {
    switch (event.type) {
      case 'FirewallAttached':
      case 'FirewallDetached':
        return [event.data.instanceId];
      case 'FirewallRulesSet':
        return event.data.instanceIds;
      default:
        return [];
    }
  });
}

/** The most instances a create names to attach at once. */
const INSTANCES_AT_CREATE = 100;

/** What PostgreSQL's count of an account's firewalls at each create's commit reads from network's sessions (migration 0242). */
export const firewallLimitSettings = (perAccount: number): SessionSettings => ({ 'awan.firewalls_per_account': perAccount });

/**
 * An account's firewalls: created, their rules set, attached to and detached from its instances,
 * deleted. Each change to what an instance's host enforces records its filter's change in the
 * same transaction.
 */
export class Firewalls {
  constructor(
    private readonly pool: pg.Pool,
    private readonly store: EventStore,
    private readonly repository: FirewallsRepository,
    private readonly instances: InstancesRepository,
    private readonly filters: InstanceFilters,
    /** FIREWALLS_PER_ACCOUNT (each is rows and a stream that every list and filter of the account reads), as its refusal names it. */
    private readonly perAccount: number,
    /** Each firewall's commands in this process, one at a time (`decide`). */
    private readonly commands: AccountQueue,
  ) {}

  /** A firewall of the account (one of the caller's), attached at once to the instances the input names. */
  async create(accountId: unknown, input: CreateFirewallInput, scope: Scope, metadata: EventMetadata): Promise<FirewallView> {
    if (typeof accountId !== 'string' || !accountId) throw AppError.badInput('accountId', 'is required');
    if (!inScope(accountId, scope)) throw new AppError('FORBIDDEN', `account ${accountId} is not one the caller acts for`);
    if (typeof input !== 'object' || input === null) throw AppError.badInput('input', 'is required');
    const instanceIds = input.instanceIds ?? [];
    if (!Array.isArray(instanceIds) || !instanceIds.every((id) => typeof id === 'string')) {
      throw AppError.badInput('input.instanceIds', 'must be a list of instance ids');
    }
    // Each is looked up and locked in the create's transaction: a list of thousands would hold it that long.
    if (instanceIds.length > INSTANCES_AT_CREATE) {
      throw AppError.badInput('input.instanceIds', `a firewall is made attached to at most ${INSTANCES_AT_CREATE} instances, not ${instanceIds.length}: attach the others with attachFirewall`);
    }
    const firewallId = randomUUID();
    // The account's firewalls are counted at the commit, this one among them (account-limits.ts).
    await this.decide(firewallId, async (tx) => ({
      type: 'CreateFirewall', firewallId, accountId, name: input.name, rules: input.rules, instances: await this.targets(tx, instanceIds),
    }), metadata, { created: true }).catch((error: unknown) => {
      const held = heldAtLimit(error);
      throw held === null ? error : new AppError('QUOTA_EXCEEDED', `account ${accountId} may hold ${this.perAccount} firewalls; it holds ${held}: delete one first`);
    });
    return (await this.repository.find(firewallId))!;
  }

  async setRules(firewallId: unknown, rules: unknown, scope: Scope, metadata: EventMetadata): Promise<FirewallView> {
    const { id } = await this.require(firewallId, scope);
    await this.decide(id, async () => ({ type: 'SetFirewallRules', rules }), metadata);
    return (await this.repository.find(id))!;
  }

  /**
   * The instance's row stays locked until the attach commits: attaches of other firewalls to it
   * wait, then count this one, so together they never pass FIREWALLS_PER_INSTANCE.
   */
  async attach(firewallId: unknown, instanceId: unknown, scope: Scope, metadata: EventMetadata): Promise<FirewallView> {
    const { id } = await this.require(firewallId, scope);
    await this.decide(id, async (tx) => ({ type: 'AttachFirewall', instance: (await this.targets(tx, [instanceId]))[0] }), metadata);
    return (await this.repository.find(id))!;
  }

  async detach(firewallId: unknown, instanceId: unknown, scope: Scope, metadata: EventMetadata): Promise<FirewallView> {
    const { id } = await this.require(firewallId, scope);
    const instance = typeof instanceId === 'string' ? instanceId.toLowerCase() : '';
    await this.decide(id, async () => ({ type: 'DetachFirewall', instanceId: instance, reason: 'detached' }), metadata);
    return (await this.repository.find(id))!;
  }

  /** CONFLICT while it is attached to an instance. Answers the firewall as it was. */
  async delete(firewallId: unknown, scope: Scope, metadata: EventMetadata): Promise<FirewallView> {
    const { id } = await this.require(firewallId, scope);
    await this.decide(id, async () => ({ type: 'DeleteFirewall' }), metadata);
    return (await this.repository.find(id, { includeDeleted: true }))!;
  }

  /** An instance that ended (deleted, or failed before it ever ran) loses its firewalls, in the caller's transaction. */
  async detachInstance(tx: Sql, instanceId: string, metadata: EventMetadata): Promise<void> {
    const changed: FirewallEvent[] = [];
    for (const id of await this.repository.attachedTo(tx, instanceId)) {
      changed.push(...await decideInTransaction(this.store, tx, firewallStreamId(id), firewallDecider, { type: 'DetachFirewall', instanceId, reason: 'instance deleted' }, metadata));
    }
    await this.filters.changed(tx, instancesChangedBy(changed), metadata);
  }

  /** Null outside the caller's scope, as for a firewall that does not exist (or no longer does). */
  async get(firewallId: unknown, scope: Scope): Promise<FirewallView | null> {
    const id = typeof firewallId === 'string' ? firewallId.toLowerCase() : '';
    const view = isUuid(id) ? await this.repository.find(id) : null;
    return view && inScope(view.accountId, scope) ? view : null;
  }

  /** The caller's live firewalls, oldest first. */
  async list(request: { first?: number; after?: string }, scope: Scope): Promise<CountedPage<FirewallView>> {
    const size = pageSize(request?.first);
    const after = decodeCursor('firewall', request?.after);
    const { firewalls, totalCount } = await this.repository.list({ accountIds: accountsOf(scope), after, limit: size + 1 });
    return { ...toPage(firewalls, size, (row) => encodeCursor('firewall', row.position), (row) => row.firewall), totalCount };
  }

  /** For each instance, the firewalls in the caller's scope attached to it. */
  async ofInstances(instanceIds: unknown, scope: Scope): Promise<{ instanceId: string; firewalls: FirewallView[] }[]> {
    if (!Array.isArray(instanceIds) || !instanceIds.every((id) => typeof id === 'string')) throw AppError.badInput('instanceIds', 'must be a list of instance ids');
    const ids = instanceIds.map((id: string) => id.toLowerCase());
    const byInstance = await this.repository.ofInstances(ids.filter((id) => isUuid(id)), accountsOf(scope));
    return ids.map((instanceId) => ({ instanceId, firewalls: byInstance.get(instanceId) ?? [] }));
  }

  /**
   * Decides on the firewall in a transaction of its own, retried whole on a concurrent change; the
   * instances it changes have their filters changed with it. Its commands all append to its stream
   * (Terraform attaches one firewall to fifty instances at once), so each waits for this process's
   * earlier ones without a connection, then for another replica's on the stream's lock. A new
   * firewall's stream (`created`) has no other command yet.
   */
  private async decide(firewallId: string, command: (tx: Sql) => Promise<FirewallCommand>, metadata: EventMetadata, { created = false } = {}): Promise<void> {
    const streamId = firewallStreamId(firewallId);
    const decided = () => withRetriedTransaction(this.pool, async (tx) => {
      const events = await decideInTransaction(this.store, tx, streamId, firewallDecider, await command(tx), metadata);
      await this.filters.changed(tx, instancesChangedBy(events), metadata);
    }, created ? [] : [streamId]);
    await (created ? decided() : this.commands.run(firewallId, decided));
  }

  /** The instances as attaches see them: each row locked (in one order, so two attaches never wait crosswise), its firewalls counted. */
  private async targets(tx: Sql, instanceIds: unknown[]): Promise<AttachTarget[]> {
    const ids = [...new Set(instanceIds.map((id) => (typeof id === 'string' ? id.toLowerCase() : String(id))))].sort();
    const targets: AttachTarget[] = [];
    for (const instanceId of ids) {
      const instance = isUuid(instanceId) ? await this.instances.lock(tx, instanceId) : null;
      targets.push(instance
        ? { instanceId, accountId: instance.accountId, ended: instance.ended, firewalls: await this.repository.countAttached(tx, instanceId) }
        : { instanceId, accountId: null, ended: false, firewalls: 0 });
    }
    return targets;
  }

  private async require(firewallId: unknown, scope: Scope): Promise<FirewallView> {
    const view = await this.get(firewallId, scope);
    if (!view) throw AppError.notFound(`firewall ${String(firewallId)}`);
    return view;
  }
}
