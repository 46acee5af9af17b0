import { createHash, randomUUID } from 'node:crypto';
import type pg from 'pg';
import {
  AppError, type ComputeEvents, type CreateInstanceInput, type EventMetadata, INSTANCE_STATUSES, type InstanceHistoryEntry, type MaybeCountedPage,
  type InstanceListRequest, type InstanceView, isUuid, type Page, type PlanView, type Scope,
} from '#libs/contracts';
import { decideInTransaction, fold, handleCommand, isUniqueViolation, MAX_STREAM_VERSION, withRetriedTransaction, withTransaction, type EventStore } from '#libs/event-store';
import { accountsOf, decodeCursor, encodeCursor, inScope, pageSize, toPage } from '#libs/messaging';
import { eachAlone, type AccountQueue } from '#libs/platform';
import { withTraceContext } from '#libs/tracing';
import type { Catalog } from '../catalog/catalog.js';
import type { Hosts } from '../hosts/hosts.js';
import type { Resources } from '../scheduler/placement.js';
import type { Scheduler } from '../scheduler/scheduler.js';
import type { AccountSuspensions } from '../suspensions/account-suspensions.js';
import { instanceDecider, instanceStreamId, type InstanceCommand, type InstanceEvent } from './instance.decider.js';
import { requireActingFor } from './account-scope.js';
import { IDEMPOTENCY_WINDOW, type BootConfig, type InstancesRepository } from './instances.repository.js';
import { Quotas } from './quotas.js';

/** User operations on an existing instance, as the gateway names them. */
export type InstanceOperationRequest =
  | { operation: 'start' }
  | { operation: 'stop'; force?: boolean }
  | { operation: 'reboot' }
  | { operation: 'resize'; planId: string }
  | { operation: 'delete' };

const SSH_KEY = /^(ssh-(rsa|ed25519|dss)|ecdsa-sha2-nistp(256|384|521)|sk-(ssh-ed25519|ecdsa-sha2-nistp256)@openssh\.com) [A-Za-z0-9+/]+={0,3}( [^\r\n\0]{0,256})?$/;
const MAX_USER_DATA_BYTES = 64 * 1024;
/** What a suspended account may not do to its instances: anything that runs them. Stop and delete stay allowed. */
const REFUSED_WHILE_SUSPENDED: readonly InstanceCommand['type'][] = ['StartInstance', 'RebootInstance', 'ResizeInstance'];

function validateBootConfig(input: CreateInstanceInput): BootConfig {
  const sshKeys = input.sshKeys ?? [];
  if (!Array.isArray(sshKeys) || sshKeys.length > 32) throw AppError.badInput('input.sshKeys', 'must be a list of at most 32 keys');
  sshKeys.forEach((key, i) => {
    if (typeof key !== 'string' || key.length > 16_384 || !SSH_KEY.test(key.trim())) {
      throw AppError.badInput(`input.sshKeys[${i}]`, 'must be one OpenSSH public key line (ssh-ed25519 AAAA... comment)');
    }
  });
  const userData = input.userData ?? null;
  if (userData !== null && (typeof userData !== 'string' || Buffer.byteLength(userData) > MAX_USER_DATA_BYTES || userData.includes('\0'))) {
    throw AppError.badInput('input.userData', `must be text of at most ${MAX_USER_DATA_BYTES} bytes`);
  }
  return { sshKeys: sshKeys.map((k) => k.trim()), userData };
}

/**
 * Whose queue a write waits in: the calling account's (one tenant's parallel calls wait behind each
 * other, not in front of everyone's), or, without one, the system's or the instance owner's.
 */
export const callerOf = (metadata: EventMetadata, fallback = 'system') => (metadata.actor.kind === 'account' ? metadata.actor.accountId : fallback);

const largerOf = (a: Resources, b: Resources): Resources => ({
  vcpus: Math.max(a.vcpus, b.vcpus), memoryMb: Math.max(a.memoryMb, b.memoryMb), diskGb: Math.max(a.diskGb, b.diskGb),
});

/** What a create asked for, as one digest: a repeated key must come with the same. */
function fingerprintOf(request: ComputeEvents['InstanceRequested'], boot: BootConfig): string {
  const { instanceId: _id, ...asked } = request;
  return createHash('sha256').update(JSON.stringify([asked, boot.sshKeys, boot.userData])).digest('hex');
}

function validateIdempotencyKey(key: unknown): string | null {
  if (key === undefined || key === null) return null;
  if (typeof key !== 'string' || key.length < 1 || key.length > 255) throw AppError.badInput('input.idempotencyKey', 'must be 1 to 255 characters');
  return key;
}

/** A create waiting in its caller's queue, checked as far as it can be without the database. */
interface QueuedCreate {
  instanceId: string;
  accountId: string;
  input: CreateInstanceInput;
  /** Its first events, as the decider made them from the request. */
  requested: InstanceEvent[];
  bootConfig: BootConfig;
  idempotency: { key: string; fingerprint: string } | null;
  metadata: EventMetadata;
}

const sumOf = <T>(items: T[], value: (item: T) => number) => items.reduce((sum, item) => sum + value(item), 0);

/**
 * The instances API of compute: create (quota, idempotency key, billing's suspension), read,
 * list, history, and the user operations. Each writes events through the instance decider; the
 * provisioner carries them out on the hosts.
 */
export class Instances {
  constructor(
    /** For the transactions a write runs in; the rows are the repository's. */
    private readonly pool: pg.Pool,
    private readonly store: EventStore,
    private readonly instances: InstancesRepository,
    private readonly catalog: Catalog,
    private readonly hosts: Hosts,
    private readonly quotas: Quotas,
    private readonly scheduler: Scheduler,
    private readonly suspensions: AccountSuspensions,
    /** Each account's writes, one at a time, queued without holding a connection. */
    private readonly accounts: AccountQueue,
  ) {}

  /** A new instance of `accountId`, an account the caller acts for; made from a backup's disk where `seed` names one. */
  async create(forAccount: unknown, input: CreateInstanceInput, scope: Scope, metadata: EventMetadata, seed?: { backupId: string }): Promise<InstanceView> {
    const accountId = requireActingFor(forAccount, scope);
    if (!input || typeof input !== 'object') throw AppError.badInput('input', 'is required');
    const instanceId = randomUUID();
    const request: ComputeEvents['InstanceRequested'] = {
      instanceId, accountId, name: input.name, kind: input.kind, imageId: input.imageId, planId: input.planId,
      regionId: input.regionId, billingCycle: input.billingCycle,
    };
    // The decider checks the request's own fields before anything is looked up or written.
    const asked = instanceDecider.decide({ type: 'RequestInstance', request }, instanceDecider.initialState());
    const requested = seed ? [...asked, ...instanceDecider.decide({ type: 'SeedFromBackup', backupId: seed.backupId }, fold(instanceDecider, asked))] : asked;
    const bootConfig = validateBootConfig(input);
    const key = validateIdempotencyKey(input.idempotencyKey);
    const idempotency = key ? { key, fingerprint: fingerprintOf(request, bootConfig) } : null;
    // Its trace context is taken now: the batch it joins runs in the context of another request.
    const create: QueuedCreate = { instanceId, accountId, input, requested, bootConfig, idempotency, metadata: withTraceContext(metadata) };
    return this.accounts.batch(callerOf(metadata, accountId), this.createQueued, create);
  }

  /**
   * Creates queued together for one caller, in one transaction. Should it be refused (a quota, a
   * name taken, no room), each runs again alone, so that each gets its own answer; a create whose
   * plan or image does not do is answered without the others.
   */
  private readonly createQueued = async (creates: QueuedCreate[]): Promise<PromiseSettledResult<InstanceView>[]> => {
    const choices = new Map<string, Promise<PlanView>>();
    const plans = await Promise.allSettled(creates.map(({ input }) => {
      const choice = `${input.regionId}\u0000${input.planId}\u0000${input.imageId}\u0000${input.kind}`;
      if (!choices.has(choice)) choices.set(choice, this.catalog.choicesFor(input));
      return choices.get(choice)!;
    }));
    // Those refused on their plan or image are answered now; the others' answers are filled in below.
    const answers: PromiseSettledResult<InstanceView>[] = plans.map((plan) => (plan.status === 'rejected' ? plan : { status: 'rejected', reason: null }));
    const chosen = creates.flatMap((create, i) => (plans[i].status === 'fulfilled' ? [{ ...create, plan: plans[i].value, answer: i }] : []));
    const [together] = await Promise.allSettled([this.createTogether(chosen)]);
    if (together.status === 'fulfilled' || chosen.length === 1) {
      chosen.forEach((create, i) => (answers[create.answer] = together.status === 'fulfilled' ? { status: 'fulfilled', value: together.value[i] } : together));
    } else {
      const alone = await eachAlone(chosen, async (create) => (await this.createTogether([create]))[0]);
      chosen.forEach((create, i) => (answers[create.answer] = alone[i]));
    }
    return answers;
  };

  /** The instance each create answers with, made in one transaction: its own, or an earlier one of its idempotency key. */
  private async createTogether(creates: (QueuedCreate & { plan: PlanView })[]): Promise<InstanceView[]> {
    if (creates.length === 0) return [];
    const ids = await withTransaction(this.pool, async (tx) => {
      const accounts = [...new Set(creates.map((c) => c.accountId))].sort(); // always in one order: no two batches deadlock
      for (const accountId of accounts) await Quotas.lockAccount(tx, accountId);
      const answers: string[] = [];
      const made: typeof creates = [];
      const keys = new Map<string, { instanceId: string; fingerprint: string | null }>();
      for (const create of creates) {
        const { accountId, idempotency } = create;
        if (idempotency) {
          const used = `${accountId}\u0000${idempotency.key}`;
          const earlier = keys.get(used) ?? (await this.instances.earlierCreate(tx, accountId, idempotency.key));
          if (earlier && earlier.fingerprint !== null && earlier.fingerprint !== idempotency.fingerprint) {
            throw AppError.conflict(`idempotency key ${idempotency.key} was used with other parameters within ${IDEMPOTENCY_WINDOW}: use a new key`);
          }
          if (earlier) {
            answers.push(earlier.instanceId);
            continue;
          }
          keys.set(used, { instanceId: create.instanceId, fingerprint: idempotency.fingerprint });
        }
        answers.push(create.instanceId);
        made.push(create);
      }
      if (made.length === 0) return answers;
      for (const accountId of new Set(made.map((c) => c.accountId))) {
        const own = made.filter((c) => c.accountId === accountId);
        // After the key: a repeat of a create accepted before the suspension still gets its instance.
        await this.suspensions.assertNotSuspended(tx, accountId);
        await this.quotas.assertRoom(tx, accountId, {
          instances: own.length, vcpus: sumOf(own, (c) => c.plan.vcpus), memoryMb: sumOf(own, (c) => c.plan.memoryMb),
        });
      }
      await this.instances.saveBootConfigs(tx, made.map((c) => ({ instanceId: c.instanceId, boot: c.bootConfig })));
      for (const { accountId, idempotency, instanceId } of made) {
        if (idempotency) await this.instances.recordIdempotencyKey(tx, accountId, idempotency, instanceId);
      }
      const appends = [];
      for (const { instanceId, input, plan, requested, metadata } of made) {
        // Last, as the host's row stays locked until commit. No host fits: INSUFFICIENT_CAPACITY, nothing written.
        const hostId = await this.scheduler.reserve(tx, instanceId, {
          regionId: input.regionId, kind: input.kind, vcpus: plan.vcpus, memoryMb: plan.memoryMb, diskGb: plan.diskGb,
        });
        const scheduled = instanceDecider.decide({ type: 'ScheduleInstance', requestVersion: 1, hostId }, fold(instanceDecider, requested));
        appends.push({ streamId: instanceStreamId(instanceId), events: [...requested, ...scheduled], expectedVersion: 0, metadata });
      }
      try {
        await this.store.appendToStreams(appends, { metadata: made[0].metadata, tx });
      } catch (error) {
        // Another tenant's instance may hold the name: say no more than that it is taken.
        if (made.length === 1 && isUniqueViolation(error, 'instances_live_name')) {
          throw AppError.badInput('input.name', `the name ${made[0].input.name} is not available in region ${made[0].input.regionId}: choose another`);
        }
        throw error;
      }
      return answers;
    });
    const views = new Map((await this.instances.findAll([...new Set(ids)])).map((view) => [view.id, view]));
    return ids.map((id) => views.get(id)!);
  }

  async get(id: unknown, scope: Scope): Promise<InstanceView | null> {
    const view = typeof id === 'string' ? await this.instances.find(id) : null;
    return view && inScope(view.accountId, scope) ? view : null;
  }

  async list(filter: InstanceListRequest): Promise<MaybeCountedPage<InstanceView>> {
    const size = pageSize(filter.first);
    const after = decodeCursor('instance', filter.after);
    if (filter.status !== undefined && filter.status !== null && !INSTANCE_STATUSES.includes(filter.status)) {
      throw AppError.badInput('status', `must be one of ${INSTANCE_STATUSES.join(', ')}`);
    }
    if (filter.ids !== undefined && filter.ids !== null && !(Array.isArray(filter.ids) && filter.ids.every(isUuid))) {
      throw AppError.badInput('ids', 'must be a list of instance ids');
    }
    const { entries, total } = await this.instances.list(
      {
        status: filter.status ?? null, accountId: filter.accountId ?? null, accounts: accountsOf(filter), ids: filter.ids ?? null,
        withDeleted: filter.includeDeleted === true || Boolean(filter.status) || Boolean(filter.ids),
      },
      after,
      size + 1,
      filter.count !== false,
    );
    const page = toPage(entries, size, (entry) => encodeCursor('instance', entry.position), (entry) => entry.view);
    return total === null ? page : { ...page, totalCount: total };
  }

  /** The instance's events, oldest first; a deleted instance keeps its history. */
  async history(id: unknown, scope: Scope, first?: number, after?: string): Promise<Page<InstanceHistoryEntry>> {
    await this.require(id, scope);
    const size = pageSize(first);
    const fromVersion = decodeCursor('event', after, MAX_STREAM_VERSION);
    const events = await this.store.readStream(instanceStreamId(id as string), undefined, { afterVersion: fromVersion, limit: size + 1 });
    return toPage(
      events,
      size,
      (e) => encodeCursor('event', e.version),
      (e) => ({ id: e.eventId, type: e.type, occurredAt: new Date(e.occurredAt).toISOString(), data: JSON.stringify(e.data) }),
    );
  }

  async operate(id: unknown, request: InstanceOperationRequest, scope: Scope, metadata: EventMetadata): Promise<InstanceView> {
    return this.accounts.run(callerOf(metadata), async () => {
      const instance = await this.require(id, scope);
      const { command, plan } = await this.commandFor(request);
      await withRetriedTransaction(this.pool, async (tx) => {
        if (REFUSED_WHILE_SUSPENDED.includes(command.type)) {
          // The lock keeps a concurrent create from taking the room a larger plan needs, and a suspension
          // from being recorded between its check and the command (it would not see this instance start).
          await Quotas.lockAccount(tx, instance.accountId);
          await this.suspensions.assertNotSuspended(tx, instance.accountId);
          if (plan) {
            await this.quotas.assertRoom(tx, instance.accountId, { instances: 1, vcpus: plan.vcpus, memoryMb: plan.memoryMb }, instance.id);
          }
        }
        const decided = await decideInTransaction(this.store, tx, instanceStreamId(instance.id), instanceDecider, command, metadata);
        // Until the resize is over the instance holds the larger of its two plans on its host.
        if (plan && decided.length > 0 && !(await this.scheduler.resize(tx, instance.id, largerOf(instance, plan)))) {
          throw new AppError('INSUFFICIENT_CAPACITY', `host ${instance.hostId} has no room to grow instance ${instance.id} to plan ${plan.id}`);
        }
      });
      return (await this.instances.find(instance.id))!;
    });
  }

  /** An ADMIN's migration: to `hostId` (an UP host of the instance's region), or where the scheduler chooses. */
  async migrate(id: unknown, hostId: unknown, scope: Scope, metadata: EventMetadata): Promise<InstanceView> {
    return this.accounts.run(callerOf(metadata), () => this.migrateQueued(id, hostId, scope, metadata));
  }

  private async migrateQueued(id: unknown, hostId: unknown, scope: Scope, metadata: EventMetadata): Promise<InstanceView> {
    const instance = await this.require(id, scope);
    if (hostId !== null && typeof hostId !== 'string') throw AppError.badInput('hostId', 'must be a host id');
    if (hostId !== null) {
      const [host] = await this.hosts.list([hostId]);
      if (!host) throw AppError.badInput('hostId', `no host ${hostId}`);
      if (host.regionId !== instance.regionId) throw AppError.badInput('hostId', `host ${hostId} is not in region ${instance.regionId}`);
      if (host.status !== 'UP') throw AppError.badInput('hostId', `host ${hostId} is ${host.status}`);
    }
    const command: InstanceCommand = { type: 'MigrateInstance', toHostId: hostId, reason: 'admin' };
    await handleCommand(this.store, instanceStreamId(instance.id), instanceDecider, command, metadata);
    return (await this.instances.find(instance.id))!;
  }

  /** The decider's command for a user operation, and for a resize the plan it goes to. */
  private async commandFor(request: InstanceOperationRequest): Promise<{ command: InstanceCommand; plan?: PlanView }> {
    switch (request?.operation) {
      case 'start':
        return { command: { type: 'StartInstance' } };
      case 'stop':
        return { command: { type: 'StopInstance', force: request.force === true } };
      case 'reboot':
        return { command: { type: 'RebootInstance' } };
      case 'delete':
        return { command: { type: 'DeleteInstance' } };
      case 'resize': {
        const plan = typeof request.planId === 'string' ? await this.catalog.plan(request.planId) : null;
        if (!plan || plan.retired) throw AppError.badInput('planId', `no plan ${request.planId}`);
        return { command: { type: 'ResizeInstance', toPlanId: plan.id, toKind: plan.kind }, plan };
      }
      default:
        throw AppError.badInput('operation', 'must be start, stop, reboot, resize or delete');
    }
  }

  private async require(id: unknown, scope: Scope): Promise<InstanceView> {
    const view = await this.get(id, scope);
    if (!view) throw AppError.notFound(`instance ${String(id)}`);
    return view;
  }
}
