/** What the agent tells its watchdog: it reached the control plane; or it stops, with nothing to guard. */
export const WATCHDOG_CONTACT = 'contact';
export const WATCHDOG_STOP = 'stop';

/**
 * When a host must fence itself: once `timeoutMs` have passed since its last contact with the
 * control plane, and once per loss of contact. Times are a monotonic clock's milliseconds.
 */
export class FenceTimer {
  private lastContact: number;
  private fenced = false;

  constructor(
    private readonly timeoutMs: number,
    now: number,
  ) {
    this.lastContact = now;
  }

  contact(now: number): void {
    this.lastContact = now;
    this.fenced = false;
  }

  /** True exactly once after each loss of contact longer than the timeout. */
  due(now: number): boolean {
    if (this.fenced || now - this.lastContact <= this.timeoutMs) return false;
    this.fenced = true;
    return true;
  }
}
