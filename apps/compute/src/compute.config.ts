import type { InstanceStatus, QuotaLimits } from '#libs/contracts';
import { readWholeNumber } from '#libs/platform';
import { readHostCredentialsConfig, type HostCredentialsConfig } from './hosts/host-credentials.js';
import { TRANSITIONAL_STATUSES } from './instances/instance.decider.js';

/** The token ComputeModule provides the configuration under. */
export const COMPUTE_CONFIG = Symbol('COMPUTE_CONFIG');

/** What compute reads from its environment beyond every service's (README, Configuration), once at start. */
export interface ComputeConfig {
  /** What an account may hold unless ADMIN set its own limits (QUOTA_INSTANCES, QUOTA_VCPUS, QUOTA_MEMORY_MB). */
  defaultQuota: QuotaLimits;
  /** How long an instance may stay in each transitional status before it fails; INSTANCE_TIMEOUT_MS sets one value for all. */
  transitionTimeoutsMs: Partial<Record<InstanceStatus, number>>;
  /** A host not heard from for this long is DOWN, and its instances restart elsewhere (HOST_DOWN_TIMEOUT_MS). */
  hostDownTimeoutMs: number;
  /** How long an account's write may queue behind its others: an answer well inside the gateway's 15 s. */
  accountQueueWaitMs: number;
  /** What gives hosts NATS credentials and revokes them; null where NATS_ACCOUNT_SIGNING_KEY is unset (no enrolment). */
  hostCredentials: HostCredentialsConfig | null;
  /** The most snapshots an instance may hold (SNAPSHOTS_PER_INSTANCE). */
  snapshotsPerInstance: number;
  /** The most backups taken by hand an account may hold, CREATING or AVAILABLE (BACKUPS_PER_ACCOUNT): they outlive their instances. */
  backupsPerAccount: number;
  /** How long a snapshot may be CREATING or DELETING before it fails: INSTANCE_TIMEOUT_MS where set. */
  snapshotTimeoutMs: number;
  /** How long a backup may be CREATING or DELETING before it fails: INSTANCE_TIMEOUT_MS where set. */
  backupTimeoutMs: number;
  /** How often compute looks for backup schedules due, and backups stuck (BACKUP_SCHEDULE_INTERVAL_MS). */
  backupScheduleIntervalMs: number;
}

const MINUTE = 60_000;

/** The longest any of an instance's operations may run before it is failed: whatever waits for one to end waits at most this. */
export function longestOperationMs(config: Pick<ComputeConfig, 'transitionTimeoutsMs' | 'snapshotTimeoutMs' | 'backupTimeoutMs'>): number {
  return Math.max(config.backupTimeoutMs, config.snapshotTimeoutMs, ...Object.values(config.transitionTimeoutsMs));
}
const DEFAULT_TIMEOUTS_MS: ComputeConfig['transitionTimeoutsMs'] = {
  PENDING: 2 * MINUTE, PROVISIONING: 10 * MINUTE, STARTING: 10 * MINUTE, STOPPING: 5 * MINUTE, REBOOTING: 5 * MINUTE,
  RESIZING: 10 * MINUTE, MIGRATING: 30 * MINUTE, DELETING: 10 * MINUTE,
  // A container's rootfs is copied back whole.
  RESTORING: 30 * MINUTE,
};
/** A container's snapshot copies its whole rootfs. */
const SNAPSHOT_TIMEOUT_MS = 30 * MINUTE;
/** A backup reads the whole disk and compresses it into the region's store. */
const BACKUP_TIMEOUT_MS = 3 * 60 * MINUTE;
const milliseconds = { expected: 'at least 1000 milliseconds', min: 1000 };
const limit = { expected: 'a whole number' };

/**
 * Reads and checks compute's variables; a bad one stops the start with the variable named.
 * `natsCredentials` are compute's own (ServiceConfig): hosts are enrolled into their account.
 */
export function readComputeConfig(env: NodeJS.ProcessEnv, natsCredentials?: string): ComputeConfig {
  const timeoutMs = env.INSTANCE_TIMEOUT_MS === undefined ? null : readWholeNumber('INSTANCE_TIMEOUT_MS', 0, milliseconds, env);
  return {
    defaultQuota: {
      instances: readWholeNumber('QUOTA_INSTANCES', 20, limit, env),
      vcpus: readWholeNumber('QUOTA_VCPUS', 40, limit, env),
      memoryMb: readWholeNumber('QUOTA_MEMORY_MB', 64 * 1024, limit, env),
    },
    transitionTimeoutsMs: timeoutMs === null ? DEFAULT_TIMEOUTS_MS : Object.fromEntries(TRANSITIONAL_STATUSES.map((status) => [status, timeoutMs])),
    hostDownTimeoutMs: readWholeNumber('HOST_DOWN_TIMEOUT_MS', 10_000, milliseconds, env),
    accountQueueWaitMs: 10_000,
    hostCredentials: readHostCredentialsConfig(env, natsCredentials),
    snapshotsPerInstance: readWholeNumber('SNAPSHOTS_PER_INSTANCE', 10, limit, env),
    backupsPerAccount: readWholeNumber('BACKUPS_PER_ACCOUNT', 100, limit, env),
    snapshotTimeoutMs: timeoutMs ?? SNAPSHOT_TIMEOUT_MS,
    backupTimeoutMs: timeoutMs ?? BACKUP_TIMEOUT_MS,
    backupScheduleIntervalMs: readWholeNumber('BACKUP_SCHEDULE_INTERVAL_MS', MINUTE, milliseconds, env),
  };
}
