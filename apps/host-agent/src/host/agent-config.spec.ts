import path from 'node:path';
import { readAgentConfig } from './agent-config.js';

describe("the host agent's configuration", () => {
  const env = { HOST_ID: 'h1', AGENT_DATA_DIR: '/var/lib/awan/agent' };

  it('takes the defaults of one host in the local region, its storage in its data folder', () => {
    expect(readAgentConfig(env)).toMatchObject({
      hostId: 'h1', regionId: 'local', dataDir: '/var/lib/awan/agent', storageDir: '/var/lib/awan/agent', migrationAddress: '127.0.0.1',
      heartbeatIntervalMs: 2000, fenceTimeoutMs: 6000, stopTimeoutMs: 30_000, firewallCheckMs: 10_000,
    });
    expect(readAgentConfig({ ...env, AGENT_STORAGE_DIR: 'shared' }).storageDir).toBe(path.resolve('shared'));
  });

  it('takes the region\'s backup store apart from the instance storage, and none where unset', () => {
    expect(readAgentConfig(env).backupStoreDir).toBeNull();
    expect(readAgentConfig({ ...env, BACKUP_STORE_DIR: '/mnt/backups' }).backupStoreDir).toBe('/mnt/backups');
    for (const inside of ['/var/lib/awan/agent', '/var/lib/awan/agent/backups', '/var/lib/awan']) {
      expect(() => readAgentConfig({ ...env, BACKUP_STORE_DIR: inside })).toThrow('BACKUP_STORE_DIR');
    }
  });

  it.each([
    [{ HOST_ID: 'Host_1' }, 'HOST_ID must be lower-case letters, digits and -, got "Host_1"'],
    [{ HOST_ID: 'heartbeat' }, 'HOST_ID must not be "heartbeat": its subjects are every host\'s heartbeat'],
    [{ REGION_ID: 'eu west' }, 'REGION_ID must be lower-case letters, digits and -, got "eu west"'],
    [{ AGENT_ACCELERATOR: 'xen' }, 'AGENT_ACCELERATOR must be kvm or tcg, got "xen"'],
    [{ HEARTBEAT_INTERVAL_MS: '50' }, 'HEARTBEAT_INTERVAL_MS must be a number of milliseconds, got "50"'],
    [{ FENCE_TIMEOUT_MS: '2000', HEARTBEAT_INTERVAL_MS: '2000' }, 'FENCE_TIMEOUT_MS (2000) must be longer than HEARTBEAT_INTERVAL_MS (2000)'],
    [{ FENCE_TIMEOUT_MS: '10000', HOST_DOWN_TIMEOUT_MS: '10000' }, 'FENCE_TIMEOUT_MS (10000) must be shorter than HOST_DOWN_TIMEOUT_MS (10000)'],
    [{ AGENT_MIGRATION_ADDRESS: 'host-b' }, 'AGENT_MIGRATION_ADDRESS must be an IP address, got "host-b"'],
    [{ STOP_TIMEOUT_MS: '-1' }, 'STOP_TIMEOUT_MS must be a number of milliseconds, got "-1"'],
    [{ FIREWALL_CHECK_MS: '100' }, 'FIREWALL_CHECK_MS must be a number of milliseconds, got "100"'],
  ])('refuses %j, naming the variable', (bad, message) => {
    expect(() => readAgentConfig({ ...env, ...bad })).toThrow(message);
  });
});
