import { Logger } from '@nestjs/common';
import { AppError, type EventEnvelope, type EventMetadata, SYSTEM_ACTOR } from '#libs/contracts';
import { handleCommand, readState, type EventStore } from '#libs/event-store';
import type { ServiceClient } from '#libs/messaging';
import type { Hosts } from '../hosts/hosts.js';
import { instanceDecider, instanceStreamId } from '../instances/instance.decider.js';
import { backupDecider, backupIdOf, backupStreamId, type BackupCommand } from './backup.decider.js';
import type { BackupsRepository } from './backups.repository.js';

/** How long a host has to remove a backup's files from the store. */
const REMOVE_TIMEOUT_MS = 60_000;

/** The instance's events that end the taking of a backup: carried to the backup's own stream. */
export const BACKUP_OUTCOME_EVENT_TYPES = ['InstanceBackedUp', 'InstanceBackupFailed'] as const;
/** The backup's events with work behind them: a scheduled one's older siblings let go, a deletion carried out. */
export const BACKUP_STORE_EVENT_TYPES = ['BackupCreated', 'BackupDeletionRequested'] as const;

const systemMetadata = (event: EventEnvelope): EventMetadata => ({ correlationId: event.metadata.correlationId, causationId: event.eventId, actor: SYSTEM_ACTOR });

/**
 * What happens to a backup after it is asked for, outside any request: the outcome its instance's
 * stream records is carried to the backup's; a deletion has a host of the region remove its files
 * from the store (any host: they all mount it); a scheduled backup taken lets its schedule's oldest
 * go; and a backup stuck longer than it may take fails (being taken) or is removed again (deleting).
 */
export class BackupLifecycle {
  private readonly logger = new Logger('backups');

  constructor(
    private readonly store: EventStore,
    private readonly backups: BackupsRepository,
    private readonly hosts: Hosts,
    private readonly client: ServiceClient,
  ) {}

  async recordOutcome(event: EventEnvelope): Promise<void> {
    const data = event.data as { backupId: string; sizeMb?: number; reason?: string };
    const command: BackupCommand = event.type === 'InstanceBackedUp' ? { type: 'CompleteBackup', sizeMb: data.sizeMb! } : { type: 'FailBackup', reason: data.reason! };
    await handleCommand(this.store, backupStreamId(data.backupId), backupDecider, command, systemMetadata(event));
  }

  async carryOut(event: EventEnvelope): Promise<void> {
    const backupId = backupIdOf(event.streamId);
    if (event.type === 'BackupDeletionRequested') return this.remove(backupId, systemMetadata(event));
    const { state } = await readState(this.store, event.streamId, backupDecider);
    if (state.scheduled && state.instanceId) await this.prune(state.instanceId, systemMetadata(event));
  }

  /** Fails what is still being taken past `timeoutMs` (its instance is free again), and removes again what is still being deleted. */
  async watch(timeoutMs: number): Promise<void> {
    for (const stuck of await this.backups.stuck(timeoutMs)) {
      const metadata: EventMetadata = { correlationId: `backup-timeout-${stuck.id}`, causationId: null, actor: SYSTEM_ACTOR };
      if (stuck.status === 'DELETING') {
        await this.remove(stuck.id, metadata).catch((error: Error) => this.logger.warn(`backup ${stuck.id} is still to be removed: ${error.message}`));
        continue;
      }
      const reason = `timed out after ${Math.round(timeoutMs / 60_000)} minutes while being taken`;
      // The instance's operation ends, and with it the backup (InstanceBackupFailed is carried here); one whose instance no longer has it fails itself.
      const { events } = stuck.operationVersion === null
        ? { events: [] }
        : await handleCommand(this.store, instanceStreamId(stuck.instanceId), instanceDecider, { type: 'FailOperation', requestVersion: stuck.operationVersion, reason }, metadata);
      if (events.length === 0) await handleCommand(this.store, backupStreamId(stuck.id), backupDecider, { type: 'FailBackup', reason }, metadata);
      this.logger.warn(`backup ${stuck.id} of instance ${stuck.instanceId} failed: it ${reason}`);
    }
  }

  /** Deletes the instance's scheduled backups past its schedule's `keep` newest available ones. */
  private async prune(instanceId: string, metadata: EventMetadata): Promise<void> {
    const keep = await this.backups.keepOf(instanceId);
    if (keep === null) return; // no schedule now: those taken stay until deleted
    for (const backupId of await this.backups.beyondKeep(instanceId, keep)) {
      await handleCommand(this.store, backupStreamId(backupId), backupDecider, { type: 'DeleteBackup' }, metadata);
    }
  }

  /** Has the first live host of the backup's region that answers remove its files; none answering is UNAVAILABLE (asked again later). */
  private async remove(backupId: string, metadata: EventMetadata): Promise<void> {
    const backup = await this.backups.find(backupId);
    if (!backup || backup.status !== 'DELETING') return;
    const live = (await this.hosts.list()).filter((host) => host.regionId === backup.regionId && host.status !== 'DOWN');
    const failures: string[] = [];
    for (const host of live) {
      try {
        await this.client.callAgent(host.id, 'backup.delete', { backupId }, REMOVE_TIMEOUT_MS);
        await handleCommand(this.store, backupStreamId(backupId), backupDecider, { type: 'CompleteDeletion' }, metadata);
        return;
      } catch (error) {
        failures.push(`host ${host.id}: ${(error as Error).message}`);
      }
    }
    throw AppError.unavailable(`no host of region ${backup.regionId} removed backup ${backupId} from the store (${failures.join('; ') || 'none is up'})`);
  }
}
