import type { AgentConfig } from '../host/agent-config.js';

/** What the agent tells its watchdog: it reached the control plane; or it stops, with nothing to guard. */
export const WATCHDOG_CONTACT = 'contact';
export const WATCHDOG_STOP = 'stop';

/** How long after a fence that failed (an instance it could not kill) it is tried again, while contact stays lost. */
export const FENCE_RETRY_MS = 1000;

/**
 * When a host must fence itself: once `timeoutMs` have passed since its last contact with the
 * control plane, once per loss of contact, and again after a fence that failed: compute restarts
 * the instances elsewhere regardless, so one left running would run twice. Times are a monotonic
 * clock's milliseconds.
 */
export class FenceTimer {
  private lastContact: number;
  private fencedSinceContact = false;
  private retryAt = 0;

  constructor(
    private readonly timeoutMs: number,
    now: number,
  ) {
    this.lastContact = now;
  }

  contact(now: number): void {
    this.lastContact = now;
    this.fencedSinceContact = false;
    this.retryAt = 0;
  }

  /** Whether the host has been fenced since its last contact. */
  get fenced(): boolean {
    return this.fencedSinceContact;
  }

  /** Whether a fence since the last contact has failed: the next is a try again. */
  get retrying(): boolean {
    return this.retryAt > 0;
  }

  /** True once after each loss of contact longer than the timeout, and once more FENCE_RETRY_MS after each fence that failed. */
  due(now: number): boolean {
    if (this.fencedSinceContact || now - this.lastContact <= this.timeoutMs || now < this.retryAt) return false;
    this.fencedSinceContact = true;
    return true;
  }

  /** The fence begun at the last `due` failed: it is due again FENCE_RETRY_MS from `now`, unless contact comes back first. */
  failed(now: number): void {
    this.fencedSinceContact = false;
    this.retryAt = now + FENCE_RETRY_MS;
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
