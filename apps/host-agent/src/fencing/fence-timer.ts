import type { AgentConfig } from '../host/agent-config.js';

/** What the agent tells its watchdog: it reached the control plane; or it stops, with nothing to guard. */
export const WATCHDOG_CONTACT = 'contact';
export const WATCHDOG_STOP = 'stop';

/**
 * When a host must fence itself: once `timeoutMs` have passed since its last contact with the
 * control plane, and once per loss of contact. Times are a monotonic clock's milliseconds.
 */
export class FenceTimer {
  private lastContact: number;
  private fencedSinceContact = false;

  constructor(
    private readonly timeoutMs: number,
    now: number,
  ) {
    this.lastContact = now;
  }

  contact(now: number): void {
    this.lastContact = now;
    this.fencedSinceContact = false;
  }

  /** Whether the host has been fenced since its last contact. */
  get fenced(): boolean {
    return this.fencedSinceContact;
  }

  /** True exactly once after each loss of contact longer than the timeout. */
  due(now: number): boolean {
    if (this.fencedSinceContact || now - this.lastContact <= this.timeoutMs) return false;
    this.fencedSinceContact = true;
    return true;
  }
}

/**
 * How the agent starts its watchdog: its data folder on its own, by which a later agent knows the
 * watchdog as this host's, then the agent's configuration, so the watchdog reads no environment of its own.
 */
export const watchdogArguments = (agent: AgentConfig): string[] => [agent.dataDir, JSON.stringify(agent)];

export function readWatchdogArguments([dataDir, config]: string[]): AgentConfig {
  const agent = JSON.parse(config ?? 'null') as AgentConfig | null;
  if (!agent || agent.dataDir !== dataDir) throw new Error('the fence watchdog is started by the host agent, with its data folder and configuration');
  return agent;
}
