import os from 'node:os';
import path from 'node:path';
import { isRfc1123Label } from '#libs/contracts';

export interface AgentConfig {
  /** Names this host in subjects (`agent.<hostId>.…`) and to compute. */
  hostId: string;
  hostName: string;
  regionId: string;
  /** Instance folders and images; the agent's only state. */
  dataDir: string;
  /** Force an accelerator; otherwise KVM where /dev/kvm works, else TCG. */
  accelerator?: 'kvm' | 'tcg';
  heartbeatIntervalMs: number;
  stopTimeoutMs: number;
}

function token(value: string, variable: string): string {
  if (!isRfc1123Label(value)) throw new Error(`${variable} must be lower-case letters, digits and -, got "${value}"`);
  return value;
}

function milliseconds(value: string | undefined, variable: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (!/^\d+$/.test(value)) throw new Error(`${variable} must be a number of milliseconds, got "${value}"`);
  return Number(value);
}

export function readAgentConfig(env = process.env): AgentConfig {
  const hostName = env.HOST_NAME ?? os.hostname();
  const accelerator = env.AGENT_ACCELERATOR;
  if (accelerator !== undefined && accelerator !== 'kvm' && accelerator !== 'tcg') {
    throw new Error(`AGENT_ACCELERATOR must be kvm or tcg, got "${accelerator}"`);
  }
  return {
    hostId: token(env.HOST_ID ?? hostName.toLowerCase().replace(/[^a-z0-9-]/g, '-').replace(/^-+|-+$/g, ''), 'HOST_ID'),
    hostName,
    regionId: token(env.REGION_ID ?? 'local', 'REGION_ID'),
    dataDir: path.resolve(env.AGENT_DATA_DIR ?? '/var/lib/awan/agent'),
    accelerator,
    heartbeatIntervalMs: milliseconds(env.HEARTBEAT_INTERVAL_MS, 'HEARTBEAT_INTERVAL_MS', 5000),
    stopTimeoutMs: milliseconds(env.STOP_TIMEOUT_MS, 'STOP_TIMEOUT_MS', 30_000),
  };
}
