import { randomUUID } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { closeSync, constants, existsSync, mkdirSync, mkdtempSync, openSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { InstanceSpec } from '#libs/contracts';
import type { Fenceable, InstanceDriver, LiveMigratingDriver } from './instance-driver.js';
import { InstanceFolders } from './instance-folder.js';
import { InstanceManager } from './instance-manager.js';

/**
 * Instances as a driver sees them, each kill taking `killMs` (or failing for `stuck` ones): only what
 * fencing asks of a driver, kills counted as they run, in memory.
 */
function fakeDriver(killMs: number, stuck = new Set<string>()) {
  const running = new Set<string>();
  const counts = { now: 0, most: 0 };
  const kill = async (instanceId: string) => {
    counts.most = Math.max(counts.most, ++counts.now);
    await new Promise((resolve) => setTimeout(resolve, killMs));
    counts.now--;
    if (stuck.has(instanceId)) throw new Error('QEMU did not die');
    running.delete(instanceId);
  };
  const driver = {
    running,
    counts,
    // No state(), no specs: fencing asks no guest, monitor or storage, only which processes are there.
    fenceable: async (): Promise<Fenceable[]> => [...running].map((instanceId) => ({ instanceId, kill: () => kill(instanceId) })),
    kill: (spec: InstanceSpec) => kill(spec.instanceId),
  };
  return driver;
}

const specOf = (kind: InstanceSpec['kind']): InstanceSpec => ({
  instanceId: randomUUID(), name: 'fenced', kind, vcpus: 1, memoryMb: 128, diskGb: 1, image: { kind, location: '/nowhere' },
});

describe('fencing a host', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(path.join(os.tmpdir(), 'awan-fencing-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  async function hostWith(specs: InstanceSpec[], drivers: { VM: ReturnType<typeof fakeDriver>; CONTAINER: ReturnType<typeof fakeDriver> }) {
    const folders = new InstanceFolders('h1', path.join(dir, 'storage'), path.join(dir, 'data'));
    for (const spec of specs) await folders.writeSpec(spec);
    const released: string[] = [];
    const filters = { release: async (instanceId: string) => void released.push(instanceId) };
    const manager = new InstanceManager(folders, drivers as unknown as { VM: LiveMigratingDriver; CONTAINER: InstanceDriver }, { filters: filters as never, bridges: {} as never });
    return { folders, manager, released };
  }

  it('kills every running instance at once and marks each fenced, leaving the stopped ones be', async () => {
    const drivers = { VM: fakeDriver(300), CONTAINER: fakeDriver(300) };
    const specs = [...Array.from({ length: 20 }, () => specOf('CONTAINER')), ...Array.from({ length: 5 }, () => specOf('VM'))];
    const stopped = specOf('CONTAINER');
    for (const spec of specs) drivers[spec.kind].running.add(spec.instanceId);
    const { folders, manager } = await hostWith([...specs, stopped], drivers);

    const fenced = await manager.fence();
    // All 25 under way together: one after another, kills of 300 ms would take 7.5 s, past the 4 s between the
    // fence timeout and the down-timeout.
    expect(drivers.CONTAINER.counts.most + drivers.VM.counts.most).toBe(25);
    expect(new Set(fenced)).toEqual(new Set(specs.map((spec) => spec.instanceId)));
    expect([...drivers.CONTAINER.running, ...drivers.VM.running]).toEqual([]);
    for (const spec of specs) expect(existsSync(await folders.runtimeFile(spec.instanceId, 'fenced'))).toBe(true);
    expect(existsSync(await folders.runtimeFile(stopped.instanceId, 'fenced'))).toBe(false);
  });

  it('kills one kind when the other\'s processes cannot be listed, then fails saying so, to be tried again', async () => {
    const drivers = { VM: fakeDriver(10), CONTAINER: fakeDriver(10) };
    drivers.VM.fenceable = async () => {
      throw new Error('/proc unreadable');
    };
    const container = specOf('CONTAINER');
    drivers.CONTAINER.running.add(container.instanceId);
    const { manager } = await hostWith([container], drivers);

    await expect(manager.fence()).rejects.toThrow("could not list this host's VM processes (/proc unreadable): they may still run");
    expect(drivers.CONTAINER.running.size).toBe(0);
  });

  it('fences without reading the storage, which may hang as the host is cut off from it', async () => {
    const drivers = { VM: fakeDriver(10), CONTAINER: fakeDriver(10) };
    const vm = specOf('VM');
    drivers.VM.running.add(vm.instanceId);
    const { folders, manager } = await hostWith([vm], drivers);
    // An instance folder whose files never answer a read, as on a share that hangs: each a FIFO no one writes.
    const hung = specOf('CONTAINER').instanceId;
    mkdirSync(folders.dir(hung), { recursive: true });
    const fifos = ['owner', 'spec.json'].map((name) => folders.file(hung, name));
    for (const fifo of fifos) execFileSync('mkfifo', [fifo]);
    try {
      expect(await manager.fence()).toEqual([vm.instanceId]);
      expect(drivers.VM.running.size).toBe(0);
    } finally {
      // A read left waiting on one (the fence before this one read the storage) is let go, and Jest can end.
      for (const fifo of fifos) closeSync(openSync(fifo, constants.O_RDWR | constants.O_NONBLOCK));
    }
  });

  it('kills the others when one will not die, then fails naming it', async () => {
    const hung = specOf('VM');
    const drivers = { VM: fakeDriver(50, new Set([hung.instanceId])), CONTAINER: fakeDriver(50) };
    const others = [specOf('CONTAINER'), specOf('VM')];
    for (const spec of [hung, ...others]) drivers[spec.kind].running.add(spec.instanceId);
    const { manager } = await hostWith([hung, ...others], drivers);

    await expect(manager.fence()).rejects.toThrow(`could not kill ${hung.instanceId}: they may still run`);
    expect([...drivers.CONTAINER.running, ...drivers.VM.running]).toEqual([hung.instanceId]);
  });

  it("kills, at the agent's start, a VM still running here for an instance another host holds now, and clears what this host kept of it", async () => {
    const drivers = { VM: fakeDriver(10), CONTAINER: fakeDriver(10) };
    const [taken, own] = [specOf('VM'), specOf('VM')];
    for (const spec of [taken, own]) drivers.VM.running.add(spec.instanceId);
    const { folders, manager, released } = await hostWith([taken, own], drivers);
    const runtime = path.dirname(await folders.runtimeFile(taken.instanceId, 'qemu.pid'));
    await folders.runtimeFile(own.instanceId, 'qemu.pid');
    await folders.claim(taken.instanceId, 'h2');

    // Killed, not stopped: the fake drivers have no stop(), which would ask the monitor to quit while h2 runs the disk.
    expect(await manager.sweepReleased()).toEqual([taken.instanceId]);
    expect([...drivers.VM.running]).toEqual([own.instanceId]);
    expect(released).toEqual([taken.instanceId]);
    expect(existsSync(runtime)).toBe(false);
  });
});
