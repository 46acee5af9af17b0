import { mkdir, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Logger } from '@nestjs/common';
import { type AgentInstanceStatus, type AgentResizeStatus, AppError, type InstanceFilter, type InstanceSpec, type MigrationTarget } from '#libs/contracts';
import type { AgentConfig } from '../host/agent-config.js';
import { ProgramError } from '../host/program.js';
import { validFilter } from '../firewalls/instance-filter.js';
import { type InstanceFilters, instanceFiltersFor } from '../firewalls/instance-filters.js';
import { resolveDevImage } from '../images/dev-image-resolver.js';
import { allDone, type InstanceDriver, type InstanceState, type LiveMigratingDriver, type Resize } from './instance-driver.js';
import { InstanceFolders } from './instance-folder.js';
import { LxcDriver } from './lxc.driver.js';
import { QemuDriver } from './qemu.driver.js';
import { HostBridges, readHostNetworkUse, tapName } from './host-network.js';
import { assertInstanceId, validateSpec } from './instance-spec.js';

const DEFAULT_STOP_TIMEOUT_MS = 30_000;
/** The longest a stop asked for waits for its guest to power off: the instance's other commands wait behind it. */
const MAX_STOP_TIMEOUT_MS = 600_000;
/** This host's mark on an instance its fencing stopped. */
const FENCED = 'fenced';

export interface InstanceManagerOptions {
  stopTimeoutMs?: number;
  /** Where this host receives live migrations. */
  migrationAddress?: string;
  /** The bridges instances join; those this host made are recorded in its data folder. */
  bridges?: HostBridges;
  /** The instances' filters on their ports; in this host's own nftables tables by default. */
  filters?: InstanceFilters;
}

/**
 * The agent's instances: each command is idempotent (compute retries while the agent is
 * away) and commands for one instance run one at a time. State lives in the instance
 * folders and the host's processes, so a restarted agent finds every instance as it was.
 * Only the instances this host holds (their folder's owner) are its to run; another host's
 * folder on shared storage becomes its own when compute hands it over (adopt, migrate).
 * An instance's filter is enforced on its port before it runs here, and its rules leave with it.
 */
export class InstanceManager {
  private readonly queues = new Map<string, Promise<unknown>>();
  private readonly stopTimeoutMs: number;
  private readonly migrationAddress: string;
  readonly bridges: HostBridges;
  readonly filters: InstanceFilters;

  constructor(
    readonly folders: InstanceFolders,
    private readonly drivers: { VM: LiveMigratingDriver; CONTAINER: InstanceDriver },
    options: InstanceManagerOptions = {},
  ) {
    this.stopTimeoutMs = options.stopTimeoutMs ?? DEFAULT_STOP_TIMEOUT_MS;
    this.migrationAddress = options.migrationAddress ?? '127.0.0.1';
    this.bridges = options.bridges ?? new HostBridges(path.join(folders.dataDir, 'bridges'));
    this.filters = options.filters ?? instanceFiltersFor(folders);
  }

  /**
   * Makes the instance (once), enforces its filter (`filter`, else the one held), and starts it when asked.
   * Its disk or rootfs is laid down while its filter is enforced and its bridge and port are made:
   * none needs another, and it starts only once all are done.
   */
  create(input: InstanceSpec, start: boolean, filter?: InstanceFilter): Promise<AgentInstanceStatus> {
    const valid = validateSpec(input);
    const offered = offeredFilter(filter, valid.instanceId);
    return this.serialized(valid.instanceId, async () => {
      if (await this.folders.wasDeleted(valid.instanceId)) throw AppError.conflict(`instance ${valid.instanceId} was deleted on this host: it is not made again`);
      const stored = await this.folders.readSpec(valid.instanceId);
      const owner = stored && (await this.folders.owner(valid.instanceId));
      if (stored && owner !== this.folders.hostId) {
        throw AppError.conflict(`instance ${valid.instanceId} is held by host ${owner ?? 'unknown'}; adopt it to take it over`);
      }
      // What the port and its rules need (kind, id, network) is the same in the spec given and the one kept.
      const spec = stored ?? valid;
      // A kept spec's disk or rootfs is laid down again where a create was cut short (its driver makes only what is missing).
      const made = stored ? this.run(() => this.drivers[stored.kind].create(stored)).then(() => stored) : this.layDown(valid);
      try {
        await allDone([made, this.run(() => this.filters.enforce(spec, offered)), start ? this.run(() => this.joinBridge(spec)) : undefined]);
      } catch (error) {
        if (!stored) await this.unmake(await made.catch(() => spec));
        throw error;
      }
      const created = await made;
      if (!start) return this.statusOf(created);
      await this.run(() => this.launch(created, this.drivers[created.kind]));
      return this.statusOf(created, 'RUNNING');
    });
  }

  /** A new instance's spec (with its image found) and what its driver lays down in its folder beside it: disk and seed, or rootfs. */
  private async layDown(valid: InstanceSpec): Promise<InstanceSpec> {
    const spec = await resolveDevImage(valid, this.folders.images);
    await mkdir(this.folders.dir(spec.instanceId), { recursive: true, mode: 0o700 });
    await allDone([this.folders.writeSpec(spec), this.run(() => this.drivers[spec.kind].create(spec))]);
    return spec;
  }

  /** No half-made instance: whatever a create laid down goes again, its port and rules too. */
  private async unmake(spec: InstanceSpec): Promise<void> {
    await this.drivers[spec.kind].destroy(spec).catch(() => undefined);
    await this.filters.release(spec.instanceId).catch(() => undefined);
    await this.folders.remove(spec.instanceId);
  }

  start(instanceId: string, filter?: InstanceFilter) {
    const offered = offeredFilter(filter, instanceId);
    return this.withSpec(instanceId, (spec, driver) => this.startOn(spec, driver, this.filters.enforce(spec, offered)));
  }

  /**
   * Enforces `filter` on the port of an instance this host holds or is receiving, unless it holds a
   * newer revision; answers the revision it holds.
   */
  setFilter(filter: InstanceFilter): Promise<{ instanceId: string; revision: number }> {
    const offered = validFilter(filter);
    const { instanceId } = offered;
    return this.serialized(instanceId, async () => {
      const receiving = (await this.folders.runtimeIds()).includes(instanceId);
      const spec = (await this.folders.readOwnSpec(instanceId)) ?? (receiving ? await this.folders.readSpec(instanceId) : null);
      if (!spec) throw AppError.notFound(`instance ${instanceId} on this host`);
      const held = await this.run(() => this.filters.enforce(spec, offered));
      return { instanceId, revision: held.revision };
    });
  }

  /**
   * The agent's start: every instance this host holds gets its kept filter again, and rules of
   * instances it no longer holds go; in one transaction, the rules in place never flushed meanwhile.
   */
  async enforceHeldFilters(): Promise<{ ports: number; failed: string[] }> {
    return this.filters.enforceAll(await this.folders.list());
  }

  /**
   * Puts back the rules of every instance this host holds whose port its tables no longer hold:
   * tables flushed or edited outside the agent (`nft flush ruleset`, which a reload of the nftables
   * service does) leave its instances unfiltered, their addresses free to take, until then. Those
   * with no command under way are put back together, in one turn of them all and one `nft`
   * transaction (after a whole flush, a host of 1,000 is whole again in about a second, not a
   * minute); each of the others in its own turn once its command is done, so that a long one (a
   * backup) holds back no other instance. Specs are read again in the turn: one deleted meanwhile is
   * left alone. One whose command wrote its rules meanwhile gets them written again, as they are
   * (its kept filter), rather than the tables listed again in the turn. Answers the instances put
   * back, and those that could not be, with why.
   */
  async restoreMissingFilters(): Promise<{ restored: string[]; failed: string[] }> {
    const filtered = (await this.folders.list()).filter((spec) => spec.network);
    if (filtered.length === 0) return { restored: [], failed: [] };
    const held = await this.filters.firewall.heldPorts();
    const missing = filtered.map((spec) => spec.instanceId).filter((instanceId) => !held.has(instanceId));
    const free = missing.filter((instanceId) => !this.queues.has(instanceId));
    const busy = missing.filter((instanceId) => this.queues.has(instanceId));
    const turns = [...(free.length > 0 ? [free] : []), ...busy.map((instanceId) => [instanceId])];
    const results = await Promise.all(turns.map((instanceIds) => this.serialized(instanceIds, async () => {
      const specs = await Promise.all(instanceIds.map((instanceId) => this.folders.readOwnSpec(instanceId).catch(() => null)));
      return this.filters.putBack(specs.filter((spec): spec is InstanceSpec => spec !== null)); // putBack passes over those without a network
    })));
    return { restored: results.flatMap((result) => result.restored), failed: results.flatMap((result) => result.failed) };
  }

  async stop(instanceId: string, force = false, timeoutMs?: number | null) {
    if (timeoutMs !== undefined && timeoutMs !== null && !(Number.isInteger(timeoutMs) && timeoutMs >= 0 && timeoutMs <= MAX_STOP_TIMEOUT_MS)) {
      throw AppError.badInput('timeoutMs', `must be a whole number of milliseconds, 0 to ${MAX_STOP_TIMEOUT_MS}`);
    }
    return this.withSpec(instanceId, (spec, driver) => driver.stop(spec, { force, timeoutMs: timeoutMs ?? this.stopTimeoutMs }));
  }

  reboot(instanceId: string) {
    return this.withSpec(instanceId, (spec, driver) => driver.reboot(spec));
  }

  /**
   * Gives the instance its new size: live where its driver can; a running instance that cannot
   * take it in place restarts (a graceful stop, then a start), and the answer says so. The spec is
   * written before the restart, so whatever starts the instance next starts it at its new size.
   */
  async resize(instanceId: string, to: Resize): Promise<AgentResizeStatus> {
    let restarted = false;
    const status = await this.withSpec(instanceId, async (spec, driver) => {
      const next = validateSpec({ ...spec, ...to });
      if (next.diskGb < spec.diskGb) throw AppError.badInput('diskGb', `a disk only grows: it has ${spec.diskGb} GB`);
      const { restart } = await driver.resize(spec, { vcpus: next.vcpus, memoryMb: next.memoryMb, diskGb: next.diskGb });
      await this.folders.writeSpec(next);
      if (restart) {
        await driver.stop(spec, { force: false, timeoutMs: this.stopTimeoutMs });
        await this.startOn(next, driver);
        restarted = true;
      }
      return next;
    });
    return { ...status, restarted };
  }

  /** Starts the instance once its bridge and port are made, while `before` (its filter being enforced) is done. */
  private async startOn(spec: InstanceSpec, driver: InstanceDriver, ...before: Promise<unknown>[]): Promise<void> {
    await allDone([...before, this.joinBridge(spec)]);
    await this.launch(spec, driver);
  }

  /** The instance's bridge, up with its gateways, and a VM's tap on it (a container's veth is LXC's to make). */
  private async joinBridge(spec: InstanceSpec): Promise<void> {
    if (spec.network) await this.bridges.ensure(spec.network, spec.kind === 'VM' ? tapName(this.folders.hostId, spec.instanceId) : undefined);
  }

  private async launch(spec: InstanceSpec, driver: InstanceDriver): Promise<void> {
    await driver.start(spec).catch(async (error: unknown) => {
      // Whatever a failed start left (a QEMU whose monitor never answered, a container still
      // STARTING, a VM's tap) is ended: the instance is stopped as the failure says, and a start
      // asked again starts it anew rather than finding a process and calling it running.
      await driver.kill(spec).catch(() => undefined);
      throw error;
    });
    await rm(await this.folders.runtimeFile(spec.instanceId, FENCED), { force: true });
  }

  /** Removes the instance, or, where another host holds it now, only what this host kept of it. */
  delete(instanceId: string): Promise<AgentInstanceStatus> {
    assertInstanceId(instanceId);
    return this.serialized(instanceId, async () => {
      await this.folders.markDeleted(instanceId);
      const spec = await this.folders.readSpec(instanceId);
      if (spec && (await this.folders.owner(instanceId)) === this.folders.hostId) {
        await this.run(() => this.drivers[spec.kind].destroy(spec));
        await this.filters.release(instanceId);
        await this.folders.remove(instanceId);
      } else {
        await this.filters.release(instanceId);
        await this.folders.forget(instanceId);
      }
      return { instanceId, kind: spec?.kind ?? 'VM', state: 'MISSING', vcpus: 0, memoryMb: 0, diskGb: 0 };
    });
  }

  /**
   * Takes over an instance another host made on the shared storage, and starts it when asked.
   * The folder must be here: a host that does not share the storage cannot take it.
   */
  adopt(instanceId: string, start: boolean, filter?: InstanceFilter): Promise<AgentInstanceStatus> {
    assertInstanceId(instanceId);
    const offered = offeredFilter(filter, instanceId);
    return this.serialized(instanceId, async () => {
      const spec = await this.storedSpec(instanceId);
      const previous = await this.folders.owner(instanceId);
      await this.folders.claim(instanceId);
      try {
        if (spec.kind === 'VM') await this.drivers.VM.settle(spec);
        const enforced = this.filters.enforce(spec, offered);
        await this.run(() => (start ? this.startOn(spec, this.drivers[spec.kind], enforced) : allDone([enforced])));
      } catch (error) {
        // Not taken over: compute keeps it where it was, so that host holds it again and can start it,
        // unless it may run here now (a VM received live, whose source has ended).
        const mayRun = (await this.drivers[spec.kind].state(spec).catch(() => 'RUNNING')) === 'RUNNING';
        if (previous && previous !== this.folders.hostId && !mayRun) {
          await this.filters.release(instanceId).catch(() => undefined);
          await this.folders.claim(instanceId, previous);
        }
        throw error;
      }
      return this.statusOf(spec);
    });
  }

  /** Live migration, target side: a QEMU waiting for the VM; answers where to send it, and with what key. */
  receive(instanceId: string, filter?: InstanceFilter): Promise<MigrationTarget> {
    assertInstanceId(instanceId);
    const offered = offeredFilter(filter, instanceId);
    return this.serialized(instanceId, async () => {
      const spec = liveMigrating(await this.storedSpec(instanceId));
      await this.run(() => allDone([this.joinBridge(spec), this.filters.enforce(spec, offered)]));
      return this.run(() => this.drivers.VM.receive(spec, this.migrationAddress));
    });
  }

  /** Live migration, source side: the VM goes to the target and ends here. */
  send(instanceId: string, target: MigrationTarget): Promise<AgentInstanceStatus> {
    if (typeof target.uri !== 'string' || !/^tcp:(\[[0-9a-f:.]+\]|[0-9.]+):\d{1,5}$/i.test(target.uri)) {
      throw AppError.badInput('uri', 'must be tcp:<address>:<port>');
    }
    if (typeof target.key !== 'string' || !/^[0-9a-f]{64}$/.test(target.key)) throw AppError.badInput('key', 'must be 64 hexadecimal digits');
    return this.withSpec(instanceId, async (spec) => {
      await this.drivers.VM.send(liveMigrating(spec), { uri: target.uri, key: target.key });
      // The VM runs on the target now: its port here is gone, and so are its rules.
      await this.filters.release(instanceId);
    });
  }

  /** Ends the receiving QEMU of a failed migration; an instance this host holds is left alone. */
  abortReceive(instanceId: string): Promise<AgentInstanceStatus> {
    assertInstanceId(instanceId);
    return this.serialized(instanceId, async () => {
      const spec = await this.storedSpec(instanceId);
      if ((await this.folders.owner(instanceId)) !== this.folders.hostId) {
        await this.run(() => this.drivers[spec.kind].stop(spec, { force: true, timeoutMs: 0 }));
        await this.filters.release(instanceId);
        await this.folders.forget(instanceId);
      }
      return this.statusOf(spec);
    });
  }

  /**
   * Clears what this host kept of instances another host holds now (it was lost, and they were
   * restarted elsewhere): a VM's tap and runtime files. A VM's QEMU that still ran here is killed, as
   * fencing kills: the other host runs its disk, so nothing here may write it, or wait on its monitor
   * to ask it to quit. A container's interface went with its processes.
   */
  async sweepReleased(): Promise<string[]> {
    const swept: string[] = [];
    for (const instanceId of await this.folders.runtimeIds()) {
      if ((await this.folders.owner(instanceId).catch(() => null)) === this.folders.hostId) continue;
      const spec = await this.folders.readSpec(instanceId).catch(() => null);
      await this.serialized(instanceId, async () => {
        if (spec?.kind === 'VM') await this.drivers.VM.kill(spec);
        await this.filters.release(instanceId);
        await this.folders.forget(instanceId);
      });
      swept.push(instanceId);
    }
    return swept;
  }

  /**
   * Self-fencing: kills every instance this host runs and marks it, so that compute can restart
   * it elsewhere without it ever running twice. All at once: compute restarts them the down-timeout
   * after the host's last contact, a few seconds after the fence timeout, however many there are and
   * whichever QEMU hangs. From this host's own state alone (InstanceDriver.fenceable): the shared
   * storage may be as far away as the control plane. Nothing here starts them again. Throws, once
   * every kill has been tried, naming those that may still run, and a kind whose processes could not
   * be listed (the watchdog tries again).
   */
  async fence(): Promise<string[]> {
    const kinds = ['VM', 'CONTAINER'] as const;
    const listed = await Promise.allSettled(kinds.map((kind) => this.drivers[kind].fenceable()));
    const running = listed.flatMap((list) => (list.status === 'fulfilled' ? list.value : []));
    await Promise.all(running.map(async ({ instanceId }) => writeFile(await this.folders.runtimeFile(instanceId, FENCED), new Date().toISOString())));
    const kills = await Promise.allSettled(running.map((instance) => instance.kill()));
    const unkilled = running.filter((_, index) => kills[index].status === 'rejected').map(({ instanceId }) => instanceId);
    const problems = [
      ...kinds.flatMap((kind, index) => (listed[index].status === 'rejected' ? [`could not list this host's ${kind} processes (${(listed[index].reason as Error).message})`] : [])),
      ...(unkilled.length > 0 ? [`could not kill ${unkilled.join(', ')}`] : []),
    ];
    if (problems.length > 0) throw new Error(`${problems.join('; ')}: they may still run`);
    return running.map(({ instanceId }) => instanceId);
  }

  status(instanceId: string): Promise<AgentInstanceStatus> {
    return this.withSpec(instanceId, async () => undefined);
  }

  /** Every instance on this host, as the host's processes and folders say now. */
  async list(): Promise<AgentInstanceStatus[]> {
    const specs = await this.folders.list();
    const states = this.statesOf(specs);
    return Promise.all(specs.map(async (spec, index) => this.statusOf(spec, await this.run(() => states[index]))));
  }

  /** Each instance's state, in the order given: a driver that reads many at once is asked once for all of its kind. */
  private statesOf(specs: InstanceSpec[]): Promise<InstanceState>[] {
    const together = new Map<InstanceDriver, Promise<Map<string, InstanceState>>>();
    return specs.map((spec) => {
      const driver = this.drivers[spec.kind];
      if (!driver.states) return driver.state(spec);
      if (!together.has(driver)) together.set(driver, driver.states(specs.filter((other) => other.kind === spec.kind)));
      return together.get(driver)!.then((states) => states.get(spec.instanceId)!);
    });
  }

  /** The spec of an instance in the storage, whichever host holds it: what adopting and migrating start from. */
  private async storedSpec(instanceId: string): Promise<InstanceSpec> {
    const spec = await this.folders.readSpec(instanceId);
    if (!spec) {
      throw AppError.notFound(`instance ${instanceId} in this host's storage (${this.folders.root}): hosts must share AGENT_STORAGE_DIR to take over each other's instances`);
    }
    return spec;
  }

  private withSpec(
    instanceId: string,
    action: (spec: InstanceSpec, driver: InstanceDriver) => Promise<InstanceSpec | void>,
  ): Promise<AgentInstanceStatus> {
    return this.withInstance(instanceId, async (spec, driver) => this.statusOf((await action(spec, driver)) ?? spec));
  }

  /**
   * Runs `work` on an instance this host holds, after the commands for it asked before (its
   * snapshots' commands are such work); NOT_FOUND for one it does not hold.
   */
  withInstance<T>(instanceId: string, work: (spec: InstanceSpec, driver: InstanceDriver) => Promise<T>): Promise<T> {
    assertInstanceId(instanceId);
    return this.serialized(instanceId, async () => {
      const spec = await this.folders.readOwnSpec(instanceId);
      if (!spec) throw AppError.notFound(`instance ${instanceId} on this host`);
      return this.run(() => work(spec, this.drivers[spec.kind]));
    });
  }

  /** The instance as its driver finds it now; `known` where its state was just seen (it was started, or all were looked at). */
  private async statusOf(spec: InstanceSpec, known?: InstanceState): Promise<AgentInstanceStatus> {
    const state = known ?? (await this.run(() => this.drivers[spec.kind].state(spec)));
    const fenced = state === 'STOPPED' && (await stat(await this.folders.runtimeFile(spec.instanceId, FENCED)).then(() => true, () => false));
    return {
      instanceId: spec.instanceId, kind: spec.kind, state, vcpus: spec.vcpus, memoryMb: spec.memoryMb, diskGb: spec.diskGb,
      ...(fenced ? { fenced } : {}),
    };
  }

  private async run<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      throw asAppError(error);
    }
  }

  /** `work` in the turn of the instance, or of each of several: after what each had queued, before what comes next for any. */
  private serialized<T>(instanceIds: string | string[], work: () => Promise<T>): Promise<T> {
    const ids = typeof instanceIds === 'string' ? [instanceIds] : instanceIds;
    const next = Promise.all(ids.map((id) => this.queues.get(id)?.catch(() => undefined))).then(work);
    for (const id of ids) this.queues.set(id, next);
    const done = () => ids.forEach((id) => this.queues.get(id) === next && this.queues.delete(id));
    void next.finally(done).catch(() => undefined);
    return next;
  }
}

/** The instance manager of the host `agent` configures: its folders, QEMU and LXC. */
export function instanceManagerFor(agent: AgentConfig, accelerator: 'kvm' | 'tcg'): InstanceManager {
  const folders = new InstanceFolders(agent.hostId, agent.storageDir, agent.dataDir);
  const bridges = new HostBridges(path.join(agent.dataDir, 'bridges'), readHostNetworkUse, new Logger('network'));
  return new InstanceManager(
    folders,
    { VM: new QemuDriver({ folders, accelerator }), CONTAINER: new LxcDriver(folders) },
    { stopTimeoutMs: agent.stopTimeoutMs, migrationAddress: agent.migrationAddress, bridges },
  );
}

/** A filter a command carries, checked before anything happens; none where it carries none. */
function offeredFilter(filter: InstanceFilter | undefined, instanceId: string): InstanceFilter | undefined {
  return filter === undefined || filter === null ? undefined : validFilter(filter, 'filter', instanceId);
}

function liveMigrating(spec: InstanceSpec): InstanceSpec {
  if (spec.kind !== 'VM') throw AppError.badInput('instanceId', 'only a VM migrates live; a container moves stopped');
  return spec;
}

/** A host tool's failure reaches compute with what the tool said, as an internal error. */
function asAppError(error: unknown): unknown {
  if (error instanceof ProgramError) return new AppError('INTERNAL', error.message);
  return error;
}
