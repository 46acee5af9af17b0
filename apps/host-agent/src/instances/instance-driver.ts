import type { AgentInstanceState, InstanceSpec } from '#libs/contracts';

export interface Resize {
  vcpus: number;
  memoryMb: number;
  diskGb: number;
}

/** What one kind of instance (QEMU VM, LXC container) needs from a host. */
export interface InstanceDriver {
  /** Lays down disk or rootfs and configuration; starts nothing. */
  create(spec: InstanceSpec): Promise<void>;
  start(spec: InstanceSpec): Promise<void>;
  /** Asks the guest to shut down and waits up to `timeoutMs`; then, or when `force`, ends it. */
  stop(spec: InstanceSpec, options: { force: boolean; timeoutMs: number }): Promise<void>;
  reboot(spec: InstanceSpec): Promise<void>;
  /** Applies what can change while it runs; the rest applies at its next start. */
  resize(spec: InstanceSpec, to: Resize): Promise<void>;
  /** Ends it and removes every process, interface and file it had outside its folder. */
  destroy(spec: InstanceSpec): Promise<void>;
  state(spec: InstanceSpec): Promise<Exclude<AgentInstanceState, 'MISSING'>>;
}

export async function waitUntil(check: () => Promise<boolean> | boolean, timeoutMs: number, intervalMs = 100): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return true;
    if (Date.now() >= deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
