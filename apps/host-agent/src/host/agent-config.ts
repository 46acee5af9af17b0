import os from 'node:os';
import path from 'node:path';
import { isRfc1123Label } from '#libs/contracts';
import { readWholeNumber } from '#libs/platform';

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
    heartbeatIntervalMs: readWholeNumber('HEARTBEAT_INTERVAL_MS', 5000, { expected: 'a number of milliseconds' }, env),
    stopTimeoutMs: readWholeNumber('STOP_TIMEOUT_MS', 30_000, { expected: 'a number of milliseconds' }, env),
  };
}
