import type { AgentInstanceState, InstanceSpec, MigrationTarget } from '#libs/contracts';

/** An instance's state as its driver sees it: a missing one is the manager's to say. */
export type InstanceState = Exclude<AgentInstanceState, 'MISSING'>;

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
  /** Ends it at once, asking neither the guest nor its monitor (fencing: a hung QEMU's monitor does not answer). */
  kill(spec: InstanceSpec): Promise<void>;
  reboot(spec: InstanceSpec): Promise<void>;
  /**
   * Applies what can change while it runs; the rest applies at its next start. Answers whether
   * a running instance must restart to take its new size (the caller restarts it).
   */
  resize(spec: InstanceSpec, to: Resize): Promise<{ restart: boolean }>;
  /** Ends it and removes every process, interface and file it had outside its folder. */
  destroy(spec: InstanceSpec): Promise<void>;
  state(spec: InstanceSpec): Promise<InstanceState>;
  /** Many instances' states by id, where the driver reads them at once more cheaply than one by one. */
  states?(specs: InstanceSpec[]): Promise<Map<string, InstanceState>>;
  /**
   * The instances of this kind with a process on this host, each with how to end it at once: what
   * fencing kills. Found, and ended, from this host's own state alone (its runtime files, its process
   * table). Never the storage: a host cut off from the control plane may be cut off from its share
   * too, and a read hung there stalls every other file read of the process (Node has four threads for
   * them). Never a guest or a monitor: QEMU's answers one client at a time, so a hung QEMU, or a frozen
   * agent holding its socket, leaves a question unanswered for seconds the fence does not have.
   */
  fenceable(): Promise<Fenceable[]>;
}

/** A process fencing ends, and the instance it is. */
export interface Fenceable {
  instanceId: string;
  kill(): Promise<void>;
}

/** A driver that can move a running instance to another host without stopping it (QEMU). */
export interface LiveMigratingDriver extends InstanceDriver {
  /** Target: waits for the instance's state on a free port of `address`; answers where to send it, and with what key. */
  receive(spec: InstanceSpec, address: string): Promise<MigrationTarget>;
  /** Source: sends the running instance to the target, then ends it here. */
  send(spec: InstanceSpec, target: MigrationTarget): Promise<void>;
  /** Target: the received instance is this host's for good. */
  settle(spec: InstanceSpec): Promise<void>;
}

export async function waitUntil(check: () => Promise<boolean> | boolean, timeoutMs: number, intervalMs = 100): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return true;
    if (Date.now() >= deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** Waits for every piece of `work` (none left running behind a failure), then throws the first failure. */
export async function allDone(work: readonly (Promise<unknown> | undefined)[]): Promise<void> {
  const failed = (await Promise.allSettled(work)).find((result): result is PromiseRejectedResult => result.status === 'rejected');
  if (failed) throw failed.reason;
}
