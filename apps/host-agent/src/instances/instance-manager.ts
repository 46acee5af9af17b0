import type { AgentInstanceStatus, InstanceKind, InstanceSpec } from '#libs/contracts';
import { AppError } from '#libs/messaging';
import { ProgramError } from '../host/program.js';
import { resolveDevImage } from '../images/dev-image-resolver.js';
import type { InstanceDriver, Resize } from './instance-driver.js';
import type { InstanceFolders } from './instance-folder.js';
import { ensureBridge } from './host-network.js';
import { assertInstanceId, validateSpec } from './instance-spec.js';

const DEFAULT_STOP_TIMEOUT_MS = 30_000;

/**
 * The agent's instances: each command is idempotent (compute retries while the agent is
 * away) and commands for one instance run one at a time. State lives in the instance
 * folders and the host's processes, so a restarted agent finds every instance as it was.
 */
export class InstanceManager {
  private readonly queues = new Map<string, Promise<unknown>>();

  constructor(
    private readonly folders: InstanceFolders,
    private readonly drivers: Record<InstanceKind, InstanceDriver>,
    private readonly stopTimeoutMs = DEFAULT_STOP_TIMEOUT_MS,
  ) {}

  create(input: InstanceSpec, start: boolean): Promise<AgentInstanceStatus> {
    const valid = validateSpec(input);
    return this.serialized(valid.instanceId, async () => {
      let spec = await this.folders.readSpec(valid.instanceId);
      if (!spec) {
        spec = await resolveDevImage(valid, this.folders.images);
        const driver = this.drivers[spec.kind];
        await this.folders.writeSpec(spec);
        try {
          await driver.create(spec);
        } catch (error) {
          // No half-made instance: whatever create laid down goes again.
          await driver.destroy(spec).catch(() => undefined);
          await this.folders.remove(spec.instanceId);
          throw asAppError(error);
        }
      }
      const created = spec;
      if (start) await this.run(() => this.startOn(created, this.drivers[created.kind]));
      return this.statusOf(created);
    });
  }

  start(instanceId: string) {
    return this.withSpec(instanceId, (spec, driver) => this.startOn(spec, driver));
  }

  stop(instanceId: string, force = false, timeoutMs = this.stopTimeoutMs) {
    return this.withSpec(instanceId, (spec, driver) => driver.stop(spec, { force, timeoutMs }));
  }

  reboot(instanceId: string) {
    return this.withSpec(instanceId, (spec, driver) => driver.reboot(spec));
  }

  resize(instanceId: string, to: Resize) {
    return this.withSpec(instanceId, async (spec, driver) => {
      const next = validateSpec({ ...spec, ...to });
      if (next.diskGb < spec.diskGb) throw AppError.badInput('diskGb', `a disk only grows: it has ${spec.diskGb} GB`);
      await driver.resize(spec, { vcpus: next.vcpus, memoryMb: next.memoryMb, diskGb: next.diskGb });
      await this.folders.writeSpec(next);
      return next;
    });
  }

  private async startOn(spec: InstanceSpec, driver: InstanceDriver): Promise<void> {
    if (spec.network) await ensureBridge(spec.network);
    await driver.start(spec);
  }

  delete(instanceId: string): Promise<AgentInstanceStatus> {
    assertInstanceId(instanceId);
    return this.serialized(instanceId, async () => {
      const spec = await this.folders.readSpec(instanceId);
      if (spec) {
        await this.run(() => this.drivers[spec.kind].destroy(spec));
        await this.folders.remove(instanceId);
      }
      return { instanceId, kind: spec?.kind ?? 'VM', state: 'MISSING', vcpus: 0, memoryMb: 0, diskGb: 0 };
    });
  }

  status(instanceId: string): Promise<AgentInstanceStatus> {
    return this.withSpec(instanceId, async () => undefined);
  }

  /** Every instance on this host, as the host's processes and folders say now. */
  async list(): Promise<AgentInstanceStatus[]> {
    const specs = await this.folders.list();
    return Promise.all(specs.map((spec) => this.statusOf(spec)));
  }

  private withSpec(
    instanceId: string,
    action: (spec: InstanceSpec, driver: InstanceDriver) => Promise<InstanceSpec | void>,
  ): Promise<AgentInstanceStatus> {
    assertInstanceId(instanceId);
    return this.serialized(instanceId, async () => {
      const spec = await this.folders.readSpec(instanceId);
      if (!spec) throw AppError.notFound(`instance ${instanceId} on this host`);
      const updated = await this.run(() => action(spec, this.drivers[spec.kind]));
      return this.statusOf(updated ?? spec);
    });
  }

  private async statusOf(spec: InstanceSpec): Promise<AgentInstanceStatus> {
    const state = await this.run(() => this.drivers[spec.kind].state(spec));
    return { instanceId: spec.instanceId, kind: spec.kind, state, vcpus: spec.vcpus, memoryMb: spec.memoryMb, diskGb: spec.diskGb };
  }

  private async run<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      throw asAppError(error);
    }
  }

  private serialized<T>(instanceId: string, work: () => Promise<T>): Promise<T> {
    const previous = this.queues.get(instanceId) ?? Promise.resolve();
    const next = previous.catch(() => undefined).then(work);
    this.queues.set(instanceId, next);
    void next.finally(() => this.queues.get(instanceId) === next && this.queues.delete(instanceId)).catch(() => undefined);
    return next;
  }
}

/** A host tool's failure reaches compute with what the tool said, as an internal error. */
function asAppError(error: unknown): unknown {
  if (error instanceof ProgramError) return new AppError('INTERNAL', error.message);
  return error;
}
