import type pg from 'pg';
import {
  type AgentCommands, AppError, type ComputeEvents, type EventEnvelope, type EventMetadata, type InstanceAddress, type InstanceFilter, type InstanceNetwork,
  type InstanceSpec, SYSTEM_ACTOR,
} from '#libs/contracts';
import { decideInTransaction, handleCommand, readState, withRetriedTransaction, withTransaction, type EventStore, type Sql } from '#libs/event-store';
import type { ServiceClient } from '#libs/messaging';
import type { Catalog } from '../catalog/catalog.js';
import type { Scheduler } from '../scheduler/scheduler.js';
import { backupDecider, backupStreamId } from '../backups/backup.decider.js';
import type { FilterLookups } from '../firewalls/instance-filters.js';
import type { HostLeftovers } from './host-leftovers.js';
import { instanceDecider, instanceIdOf, instanceStreamId, type InstanceCommand, type InstanceState } from './instance.decider.js';
import type { InstancesMetrics } from './instances.metrics.js';
import type { InstancesRepository } from './instances.repository.js';

/** How long compute waits for an agent's answer; past it the agent is asked again (its commands are idempotent). */
const AGENT_TIMEOUT_MS: Partial<Record<keyof AgentCommands, number>> = {
  'instance.create': 300_000,
  'instance.stop': 120_000,
  // A resize may restart the guest: a graceful stop, then a start.
  'instance.resize': 120_000,
  // As long as the source agent waits for a live migration to complete.
  'instance.migrate.send': 600_000,
  // A container's rootfs is copied whole, and copied back.
  'snapshot.create': 600_000,
  'snapshot.restore': 600_000,
  // A backup's command is joined when asked again while it runs: a short wait, asked again after an agent's restart.
  'backup.create': 60_000,
  'backup.restore': 60_000,
};
const DEFAULT_AGENT_TIMEOUT_MS = 60_000;

/** The events the provisioner acts on at once: an agent answers each within seconds, a create within a minute or two. */
export const PROVISIONED_EVENT_TYPES = [
  'InstanceScheduled', 'InstanceAddressed', 'InstanceStartRequested', 'InstanceStopRequested', 'InstanceRebootRequested', 'InstanceResizeRequested',
  'InstanceDeletionRequested', 'InstanceFailed', 'InstanceDeleted', 'SnapshotDeletionRequested',
] as const;

/**
 * The operations that copy an instance's disk (a snapshot, a backup, either restored, a migration):
 * minutes to hours each. They have a consumer of their own, so that a few of them (one tenant's
 * backups of four instances) never hold every turn of the one above, where creates, starts and
 * stops then waited behind them.
 */
export const DISK_COPY_EVENT_TYPES = [
  'InstanceMigrationRequested', 'SnapshotRequested', 'SnapshotRestoreRequested', 'InstanceBackupRequested', 'BackupRestoreRequested',
] as const;

/** What a host is asked to make of a new instance, but its network: none of it changes while it is made. */
type Creation = Omit<InstanceSpec, 'network'>;

/** An instance's state as read, for handleCommand: its version is the stream's. */
const known = (state: InstanceState) => ({ state, version: state.version });

/** The instance's one interface: on its IPv4 pool's bridge, with both its addresses. */
function networkOf(addresses: InstanceAddress[]): InstanceNetwork {
  const v4 = addresses.find((a) => a.family === 'IPV4')!;
  const v6 = addresses.find((a) => a.family === 'IPV6');
  return {
    bridge: v4.bridge,
    ipv4: `${v4.address}/${v4.prefixLength}`,
    gateway4: v4.gateway,
    ...(v6 ? { ipv6: `${v6.address}/${v6.prefixLength}`, gateway6: v6.gateway } : {}),
  };
}

/**
 * Carries an instance's requested operations out on its host: reads each event (durable
 * consumer, at least once; handling one twice changes nothing), asks the host agent, and records the answer through the decider. An agent
 * that is away is asked again with backoff; a refusal fails the operation. Answers name the
 * request they answer, so one that comes after a timeout or a newer request changes nothing.
 */
export class InstanceProvisioner {
  constructor(
    /** For the transactions an answer commits in; the rows are the repository's. */
    private readonly pool: pg.Pool,
    private readonly store: EventStore,
    private readonly instances: InstancesRepository,
    private readonly catalog: Catalog,
    private readonly scheduler: Scheduler,
    private readonly client: ServiceClient,
    private readonly metrics: InstancesMetrics,
    /** Each instance's filter from network, which every command that makes it run carries. */
    private readonly filters: FilterLookups,
    private readonly leftovers: HostLeftovers,
  ) {}

  async handle(event: EventEnvelope, sql: Sql): Promise<void> {
    const instanceId = instanceIdOf(event.streamId);
    // A create's request is read beside its state: network is asked for its addresses with it.
    const [{ state }, request] = await Promise.all([
      readState(this.store, event.streamId, instanceDecider),
      event.type === 'InstanceScheduled' ? this.requestOf(event.streamId) : undefined,
    ]);
    const metadata: EventMetadata = { correlationId: event.metadata.correlationId, causationId: event.eventId, actor: SYSTEM_ACTOR };
    switch (event.type) {
      case 'InstanceFailed':
        // A create that never ran leaves nothing behind; an instance that ran keeps its host until deleted,
        // holding its plan's share there (no more, should it have failed while resizing).
        if (state.status === 'ERROR' && !state.provisioned) await this.removeFromHost(instanceId, state, sql);
        else await withTransaction(this.pool, (tx) => this.holdItsPlan(tx, instanceId));
        return;
      case 'InstanceDeleted':
        await this.removeFromHost(instanceId, { ...state, hostId: null }, sql);
        return;
      default:
        if (state.operation?.version !== event.version) return; // superseded, timed out, or answered already
        if (state.operation.kind === 'address') await this.address(request!, state, metadata); // asked for by InstanceScheduled alone
        else await this.carryOut(instanceId, state, metadata, event.version);
    }
  }

  /**
   * A new instance's addresses, asked of network (the same answer when asked again) and recorded; given
   * them, the create goes on at once with the filter network answered along, not once compute's relay
   * has passed its InstanceAddressed on (that event is the way on should this stop halfway, and finds it done).
   * The one way network's answer is recorded: should compute stop before, InstanceScheduled is delivered
   * again and network asked again. (Recording network's own event of it as well raced this on every create.)
   */
  private async address(request: ComputeEvents['InstanceRequested'], asked: InstanceState, metadata: EventMetadata): Promise<void> {
    const { instanceId, accountId, regionId, name } = request;
    // What the host is asked to make but its addresses is read meanwhile: network's answer takes longer than both lookups.
    const creation = this.creationOf(instanceId);
    creation.catch(() => undefined); // awaited only where the create goes on
    const answer = await this.client.call('network.instance.address', { instance: { instanceId, accountId, regionId, name }, metadata });
    const command: InstanceCommand = answer.addresses ? { type: 'AssignAddresses', addresses: answer.addresses } : { type: 'FailAddressing', reason: answer.reason };
    // Nothing is decided for an instance deleted or timed out meanwhile: it is not created then.
    const { state } = await handleCommand(this.store, instanceStreamId(instanceId), instanceDecider, command, metadata, known(asked));
    if (answer.addresses && state.operation?.kind === 'create') {
      await this.carryOut(instanceId, state, metadata, state.operation.version, { filter: answer.filter, creation });
    }
  }

  /** What the instance's create asked for: its stream's first event. */
  private async requestOf(streamId: string): Promise<ComputeEvents['InstanceRequested']> {
    const [requested] = await this.store.readStream(streamId, undefined, { afterVersion: 0, limit: 1 });
    return requested.data as ComputeEvents['InstanceRequested'];
  }

  /** `read`: a create's filter and what its host makes, where read already. */
  private async carryOut(
    instanceId: string, state: InstanceState, metadata: EventMetadata, requestVersion: number,
    read?: { filter: InstanceFilter; creation: Promise<Creation> },
  ): Promise<void> {
    const operation = state.operation!;
    // Decided on the state it was asked in: read again only should the instance's stream have moved since.
    const answer = (command: InstanceCommand) => handleCommand(this.store, instanceStreamId(instanceId), instanceDecider, command, metadata, known(state));
    let restarted = false;
    try {
      switch (operation.kind) {
        case 'create': {
          const seed = state.seedBackupId;
          const [carried, creation] = await Promise.all([read?.filter ?? this.filters.of(instanceId), read?.creation ?? this.creationOf(instanceId)]);
          const spec: InstanceSpec = { ...creation, network: networkOf(state.addresses) };
          await this.ask(state.hostId!, 'instance.create', { spec, start: !seed, filter: carried });
          if (seed) {
            // Made from a backup: its disk is the backup's before it first starts.
            const refused = await this.restoreBackup(state.hostId!, instanceId, seed, 'seed', metadata);
            if (refused) {
              await answer({ type: 'FailOperation', requestVersion, reason: refused });
              return;
            }
            await this.ask(state.hostId!, 'instance.start', { instanceId, filter: carried });
          }
          break;
        }
        case 'start':
          await this.ask(state.hostId!, 'instance.start', { instanceId, filter: await this.filters.of(instanceId) });
          break;
        case 'stop':
          await this.ask(state.hostId!, 'instance.stop', { instanceId, force: operation.force === true });
          break;
        case 'reboot':
          await this.ask(state.hostId!, 'instance.reboot', { instanceId });
          break;
        case 'resize': {
          const plan = (await this.catalog.plan(operation.resize!.toPlanId))!;
          const reply = await this.ask(state.hostId!, 'instance.resize', { instanceId, vcpus: plan.vcpus, memoryMb: plan.memoryMb, diskGb: plan.diskGb });
          restarted = reply.restarted === true; // an agent from before restarts were reported says nothing
          break;
        }
        case 'migrate':
          await this.recordMigration(instanceId, requestVersion, await this.migrate(instanceId, state), metadata);
          return;
        case 'delete':
          if (state.hostId) await this.deleteOn(state.hostId, instanceId);
          break;
        case 'snapshot': {
          const { sizeMb } = await this.ask(state.hostId!, 'snapshot.create', { instanceId, snapshotId: operation.snapshotId! });
          await answer({ type: 'CompleteSnapshot', requestVersion, sizeMb });
          return;
        }
        case 'deleteSnapshot':
          await this.ask(state.hostId!, 'snapshot.delete', { instanceId, snapshotId: operation.snapshotId! });
          break;
        case 'restore':
          await this.ask(state.hostId!, 'snapshot.restore', { instanceId, snapshotId: operation.snapshotId! });
          break;
        case 'backup': {
          const { sizeMb } = await this.ask(state.hostId!, 'backup.create', { instanceId, backupId: operation.backupId! });
          await answer({ type: 'CompleteBackup', requestVersion, sizeMb });
          return;
        }
        case 'restoreBackup': {
          const refused = await this.restoreBackup(state.hostId!, instanceId, operation.backupId!, `restore-${requestVersion}`, metadata);
          if (refused) {
            await answer({ type: 'FailOperation', requestVersion, reason: refused });
            return;
          }
          break;
        }
        case 'schedule':
        case 'address':
          return; // scheduled by the create request itself; addressed above
      }
    } catch (error) {
      // Away or slow: this event is handled again after a backoff. Anything else is the agent's refusal.
      if (!(error instanceof AppError) || error.code === 'UNAVAILABLE') throw error;
      await answer({ type: 'FailOperation', requestVersion, reason: `${operation.kind} failed on host ${state.hostId}: ${error.message}` });
      return;
    }
    const complete: InstanceCommand = { type: 'CompleteOperation', requestVersion, restarted };
    if (operation.kind !== 'resize') {
      const { events } = await answer(complete);
      if (operation.kind === 'create' && events.length > 0) await this.metrics.provisioned(instanceId, state.kind!, events[0].occurredAt);
      return;
    }
    // A resize is over: its answer and the share of the host it needs from now on commit together.
    await withRetriedTransaction(this.pool, async (tx) => {
      await decideInTransaction(this.store, tx, instanceStreamId(instanceId), instanceDecider, complete, metadata);
      await this.holdItsPlan(tx, instanceId);
    });
  }

  /**
   * Has the host write the backup onto the instance; a backup whose stored file failed its checksum
   * is ERROR from now on, never restored, and the refusal's reason is answered (null when restored).
   */
  private async restoreBackup(hostId: string, instanceId: string, backupId: string, key: string, metadata: EventMetadata): Promise<string | null> {
    const reply = await this.ask(hostId, 'backup.restore', { instanceId, backupId, restoreKey: `${instanceId}:${key}` });
    if (reply.restored) return null;
    await handleCommand(this.store, backupStreamId(backupId), backupDecider, { type: 'FailBackup', reason: reply.corrupt }, metadata);
    return `backup ${backupId} refused: ${reply.corrupt}`;
  }

  /** Sets the instance's share of its host to what its plan holds now, in `tx` (it only ever shrinks here). */
  private async holdItsPlan(tx: Sql, instanceId: string): Promise<void> {
    const size = await this.instances.placementOf(instanceId, tx);
    if (size) await this.scheduler.resize(tx, instanceId, size);
  }

  /**
   * Moves the instance to the host the scheduler (or the ADMIN) chose, and answers that host:
   * after a host loss the new host adopts it from the shared storage and starts it; a running
   * VM goes live (the target waits for it, the source sends it); anything else stops, moves and
   * starts again. Each step is idempotent, so a retry after a crash goes on where it stopped.
   * A refusal undoes what it can, so the instance stays where it was. Each host it runs on is
   * given its filter, as network has it then (instance-filters.ts sends it a newer one).
   */
  private async migrate(instanceId: string, state: InstanceState): Promise<string> {
    const move = state.operation!.migration!;
    const placement = (await this.instances.placementOf(instanceId))!;
    const target = await this.scheduler.move(instanceId, placement, { from: move.fromHostId, to: move.toHostId });
    const running = move.returnTo === 'RUNNING';
    try {
      if (move.live) {
        const receiving = await this.ask(target, 'instance.migrate.receive', { instanceId, filter: await this.filters.of(instanceId) });
        await this.ask(move.fromHostId, 'instance.migrate.send', { instanceId, uri: receiving.uri, key: receiving.key });
      } else if (running && move.reason !== 'evacuation') {
        await this.ask(move.fromHostId, 'instance.stop', { instanceId });
      }
      await this.ask(target, 'instance.adopt', { instanceId, start: running, filter: await this.filters.of(instanceId) });
    } catch (error) {
      if (error instanceof AppError && error.code !== 'UNAVAILABLE') {
        if (move.live) await this.ask(target, 'instance.migrate.abort', { instanceId }).catch(() => undefined);
        else if (running && move.reason !== 'evacuation') {
          await this.filters.of(instanceId)
            .then((filter) => this.ask(move.fromHostId, 'instance.start', { instanceId, filter }))
            .catch(() => undefined);
        }
        await this.scheduler.restore(instanceId, move.fromHostId, placement);
      }
      throw error;
    }
    return target;
  }

  /**
   * Records the move, and the instance's reservation on the host it runs on now, together. The
   * reservation is there already unless the move timed out meanwhile: the watcher then put it back
   * on the host it left, though the attempt went on and moved the VM.
   */
  async recordMigration(instanceId: string, requestVersion: number, toHostId: string, metadata: EventMetadata): Promise<void> {
    await withRetriedTransaction(this.pool, async (tx) => {
      const command: InstanceCommand = { type: 'CompleteMigration', requestVersion, toHostId };
      const events = await decideInTransaction(this.store, tx, instanceStreamId(instanceId), instanceDecider, command, metadata);
      if (events.length > 0) await this.scheduler.restore(instanceId, toHostId, (await this.instances.placementOf(instanceId, tx))!, tx);
    });
  }

  /** Deletes what the host may hold of the instance (when `state.hostId` is set) and gives its reservation back. */
  private async removeFromHost(instanceId: string, state: InstanceState, sql: Sql): Promise<void> {
    if (state.hostId) await this.deleteOn(state.hostId, instanceId);
    await this.scheduler.release(instanceId);
    await this.instances.deleteBootConfig(sql, instanceId);
  }

  /**
   * Deletes the instance on its host; on a host that is away, DOWN and fenced (none of its instances
   * runs), without it: what it holds is deleted there once it is back (deleteLeftovers). An instance
   * of a host that never comes back can be deleted so, and is no longer billed.
   */
  private async deleteOn(hostId: string, instanceId: string): Promise<void> {
    try {
      await this.ask(hostId, 'instance.delete', { instanceId });
    } catch (error) {
      if (!(error instanceof AppError) || error.code !== 'UNAVAILABLE' || !(await this.leftovers.hostFencedAndDown(hostId))) throw error;
      await this.leftovers.keep(instanceId, hostId);
    }
  }

  /** Deletes on each host that is back what it may hold of the instances deleted while it was DOWN; answers how many. */
  async deleteLeftovers(): Promise<number> {
    let deleted = 0;
    for (const { instanceId, hostId } of await this.leftovers.due()) {
      try {
        await this.ask(hostId, 'instance.delete', { instanceId });
        await this.leftovers.cleared(instanceId);
        deleted++;
      } catch {
        await this.leftovers.tryAgainLater(instanceId);
      }
    }
    return deleted;
  }

  private async creationOf(instanceId: string): Promise<Creation> {
    const { imageId, regionId, userData, ...spec } = await this.instances.creationOf(instanceId);
    const image = await this.catalog.imageLocation(imageId, regionId);
    if (!image) throw AppError.conflict(`image ${imageId} was not imported into region ${regionId}`);
    return { instanceId, ...spec, image, ...(userData === null ? {} : { userData }) };
  }

  private ask<C extends keyof AgentCommands>(hostId: string, command: C, request: AgentCommands[C]['request']) {
    return this.client.callAgent(hostId, command, request, AGENT_TIMEOUT_MS[command] ?? DEFAULT_AGENT_TIMEOUT_MS);
  }
}
