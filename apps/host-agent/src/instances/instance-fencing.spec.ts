import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { InstanceSpec } from '#libs/contracts';
import type { InstanceDriver, LiveMigratingDriver } from './instance-driver.js';
import { InstanceFolders } from './instance-folder.js';
import { InstanceManager } from './instance-manager.js';

/**
 * Instances as a driver sees them, each kill taking `killMs` (or failing for `stuck` ones): only what
 * fencing asks of a driver, kills counted as they run, in memory.
 */
function fakeDriver(killMs: number, stuck = new Set<string>()) {
  const running = new Set<string>();
  const counts = { now: 0, most: 0 };
  const driver = {
    running,
    counts,
    // No state(): fencing asks no guest or monitor, only which processes are there.
    alive: async (specs: InstanceSpec[]) => new Set(specs.filter((spec) => running.has(spec.instanceId)).map((spec) => spec.instanceId)),
    kill: async (spec: InstanceSpec) => {
      counts.most = Math.max(counts.most, ++counts.now);
      await new Promise((resolve) => setTimeout(resolve, killMs));
      counts.now--;
      if (stuck.has(spec.instanceId)) throw new Error('QEMU did not die');
      running.delete(spec.instanceId);
    },
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

  it('kills every instance of a kind whose processes cannot be listed, running or not', async () => {
    const drivers = { VM: fakeDriver(10), CONTAINER: fakeDriver(10) };
    drivers.VM.alive = async () => {
      throw new Error('/proc unreadable');
    };
    const [running, stopped, container] = [specOf('VM'), specOf('VM'), specOf('CONTAINER')];
    drivers.VM.running.add(running.instanceId);
    const { manager } = await hostWith([running, stopped, container], drivers);

    expect(new Set(await manager.fence())).toEqual(new Set([running.instanceId, stopped.instanceId]));
    expect(drivers.VM.running.size).toBe(0);
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
