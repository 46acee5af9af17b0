import { readComputeConfig } from './compute.config.js';

describe("compute's configuration from the environment", () => {
  it('has the README\'s defaults', () => {
    const config = readComputeConfig({});
    expect(config.defaultQuota).toEqual({ instances: 20, vcpus: 40, memoryMb: 65_536 });
    expect(config.hostDownTimeoutMs).toBe(10_000);
    expect(config.transitionTimeoutsMs).toMatchObject({ PENDING: 120_000, STOPPING: 300_000, MIGRATING: 1_800_000, RESTORING: 1_800_000 });
    expect(config.snapshotsPerInstance).toBe(10);
    expect(config.backupsPerAccount).toBe(100);
    expect(config.snapshotTimeoutMs).toBe(1_800_000);
    expect(config.backupTimeoutMs).toBe(10_800_000);
    expect(config.backupScheduleIntervalMs).toBe(60_000);
  });

  it('takes each variable, INSTANCE_TIMEOUT_MS as the one limit of every transitional status', () => {
    const config = readComputeConfig({ QUOTA_INSTANCES: '2000', QUOTA_VCPUS: '8', QUOTA_MEMORY_MB: '0', HOST_DOWN_TIMEOUT_MS: '2000', INSTANCE_TIMEOUT_MS: '120000' });
    expect(config.defaultQuota).toEqual({ instances: 2000, vcpus: 8, memoryMb: 0 });
    expect(config.hostDownTimeoutMs).toBe(2000);
    expect(config.transitionTimeoutsMs).toEqual({
      PENDING: 120_000, PROVISIONING: 120_000, STARTING: 120_000, STOPPING: 120_000, REBOOTING: 120_000, RESIZING: 120_000, MIGRATING: 120_000,
      RESTORING: 120_000, DELETING: 120_000,
    });
    expect(config.snapshotTimeoutMs).toBe(120_000);
    expect(config.backupTimeoutMs).toBe(120_000);
    expect(readComputeConfig({ BACKUP_SCHEDULE_INTERVAL_MS: '5000' }).backupScheduleIntervalMs).toBe(5000);
    expect(readComputeConfig({ SNAPSHOTS_PER_INSTANCE: '3' }).snapshotsPerInstance).toBe(3);
    expect(readComputeConfig({ BACKUPS_PER_ACCOUNT: '7' }).backupsPerAccount).toBe(7);
  });

  it.each([
    [{ QUOTA_VCPUS: '4.5' }, 'QUOTA_VCPUS must be a whole number, got "4.5"'],
    [{ QUOTA_MEMORY_MB: '-1' }, 'QUOTA_MEMORY_MB must be a whole number, got "-1"'],
    [{ INSTANCE_TIMEOUT_MS: '999' }, 'INSTANCE_TIMEOUT_MS must be at least 1000 milliseconds, got "999"'],
    [{ INSTANCE_TIMEOUT_MS: '' }, 'INSTANCE_TIMEOUT_MS must be at least 1000 milliseconds, got ""'],
    [{ HOST_DOWN_TIMEOUT_MS: '10s' }, 'HOST_DOWN_TIMEOUT_MS must be at least 1000 milliseconds, got "10s"'],
    [{ SNAPSHOTS_PER_INSTANCE: 'ten' }, 'SNAPSHOTS_PER_INSTANCE must be a whole number, got "ten"'],
    [{ BACKUPS_PER_ACCOUNT: '-1' }, 'BACKUPS_PER_ACCOUNT must be a whole number, got "-1"'],
  ])('refuses %j, naming the variable', (env, message) => {
    expect(() => readComputeConfig(env)).toThrow(message);
  });
});
