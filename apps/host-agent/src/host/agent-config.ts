import { isIP } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { isRfc1123Label, isValidHostId } from '#libs/contracts';
import { readWholeNumber } from '#libs/platform';

export interface AgentConfig {
  /** Names this host in subjects (`agent.<hostId>.…`) and to compute. */
  hostId: string;
  hostName: string;
  regionId: string;
  /** This host's own state: each instance's runtime files (pidfile, QMP socket, fencing mark). */
  dataDir: string;
  /**
   * Instance folders (spec, disks, rootfs) and images: a path every host of the region can
   * share, so that another host can restart or receive an instance. Defaults to `dataDir`.
   */
  storageDir: string;
  /**
   * The region's backup store (BACKUP_STORE_DIR): a folder every host of the region mounts, apart
   * from the instance storage. Null: this host takes and restores no backups.
   */
  backupStoreDir: string | null;
  /** Where this host receives live migrations (an address the region's other hosts reach). */
  migrationAddress: string;
  /** Force an accelerator; otherwise KVM where /dev/kvm works, else TCG. */
  accelerator?: 'kvm' | 'tcg';
  heartbeatIntervalMs: number;
  /** Without the control plane for this long, the host force-stops its instances (self-fencing). */
  fenceTimeoutMs: number;
  stopTimeoutMs: number;
  /** How often the agent checks that its nftables tables still hold every instance's rules, and puts back those gone. */
  firewallCheckMs: number;
}

function token(value: string, variable: string): string {
  if (!isRfc1123Label(value)) throw new Error(`${variable} must be lower-case letters, digits and -, got "${value}"`);
  return value;
}

/** `heartbeat` would make the host's commands (`agent.heartbeat.>`) every host's heartbeat. */
function hostIdOf(value: string): string {
  if (!isValidHostId(token(value, 'HOST_ID'))) throw new Error('HOST_ID must not be "heartbeat": its subjects are every host\'s heartbeat');
  return value;
}

/** A backup kept on the instance storage would be lost with it: the store must be apart, neither inside the other. */
function backupStoreOf(value: string | undefined, storageDir: string): string | null {
  if (value === undefined || value === '') return null;
  const store = path.resolve(value);
  const inside = (a: string, b: string) => a === b || a.startsWith(`${b}${path.sep}`);
  if (inside(store, storageDir) || inside(storageDir, store)) {
    throw new Error(`BACKUP_STORE_DIR (${store}) must be apart from the instance storage AGENT_STORAGE_DIR (${storageDir}), neither inside the other`);
  }
  return store;
}

/** The agent's configuration, read once at start (main.ts) and handed to whatever needs it, its fencing watchdog included. */
export function readAgentConfig(env: NodeJS.ProcessEnv): AgentConfig {
  const hostName = env.HOST_NAME ?? os.hostname();
  const accelerator = env.AGENT_ACCELERATOR;
  if (accelerator !== undefined && accelerator !== 'kvm' && accelerator !== 'tcg') {
    throw new Error(`AGENT_ACCELERATOR must be kvm or tcg, got "${accelerator}"`);
  }
  const heartbeatIntervalMs = readWholeNumber('HEARTBEAT_INTERVAL_MS', 2000, { expected: 'a number of milliseconds', min: 100 }, env);
  const fenceTimeoutMs = readWholeNumber('FENCE_TIMEOUT_MS', 6000, { expected: 'a number of milliseconds', min: 1000 }, env);
  if (fenceTimeoutMs <= heartbeatIntervalMs) {
    throw new Error(`FENCE_TIMEOUT_MS (${fenceTimeoutMs}) must be longer than HEARTBEAT_INTERVAL_MS (${heartbeatIntervalMs})`);
  }
  // Where compute's setting is known here too (one machine, one environment), the promise is checked at once.
  if (env.HOST_DOWN_TIMEOUT_MS !== undefined && fenceTimeoutMs >= Number(env.HOST_DOWN_TIMEOUT_MS)) {
    throw new Error(`FENCE_TIMEOUT_MS (${fenceTimeoutMs}) must be shorter than HOST_DOWN_TIMEOUT_MS (${env.HOST_DOWN_TIMEOUT_MS})`);
  }
  const dataDir = path.resolve(env.AGENT_DATA_DIR ?? '/var/lib/awan/agent');
  const migrationAddress = env.AGENT_MIGRATION_ADDRESS ?? '127.0.0.1';
  if (isIP(migrationAddress) === 0) throw new Error(`AGENT_MIGRATION_ADDRESS must be an IP address, got "${migrationAddress}"`);
  const storageDir = env.AGENT_STORAGE_DIR ? path.resolve(env.AGENT_STORAGE_DIR) : dataDir;
  return {
    hostId: hostIdOf(env.HOST_ID ?? hostName.toLowerCase().replace(/[^a-z0-9-]/g, '-').replace(/^-+|-+$/g, '')),
    hostName,
    regionId: token(env.REGION_ID ?? 'local', 'REGION_ID'),
    dataDir,
    storageDir,
    backupStoreDir: backupStoreOf(env.BACKUP_STORE_DIR, storageDir),
    migrationAddress,
    accelerator,
    heartbeatIntervalMs,
    fenceTimeoutMs,
    stopTimeoutMs: readWholeNumber('STOP_TIMEOUT_MS', 30_000, { expected: 'a number of milliseconds' }, env),
    firewallCheckMs: readWholeNumber('FIREWALL_CHECK_MS', 10_000, { expected: 'a number of milliseconds', min: 1000 }, env),
  };
}
