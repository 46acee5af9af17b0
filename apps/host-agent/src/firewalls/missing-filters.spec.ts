import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { InstanceSpec } from '#libs/contracts';
import { waitUntil, type InstanceDriver, type LiveMigratingDriver } from '../instances/instance-driver.js';
import { InstanceFolders } from '../instances/instance-folder.js';
import { InstanceManager } from '../instances/instance-manager.js';
import type { InstanceFilters } from './instance-filters.js';

const specOf = (network: boolean): InstanceSpec => ({
  instanceId: randomUUID(), name: 'ct', kind: 'CONTAINER', vcpus: 1, memoryMb: 128, diskGb: 1, image: { kind: 'CONTAINER', location: '/nowhere' },
  ...(network ? { network: { bridge: 'awanbr0', ipv4: '192.0.2.10/24' } } : {}),
});

/**
 * Which instances' rules the check puts back, and in which turns: the tables hold none (flushed), and
 * the filters record each put-back asked of them, in memory. The driver's stop waits until released,
 * so that one instance has a command under way.
 */
describe("the agent's check of its firewall tables", () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(path.join(os.tmpdir(), 'awan-missing-filters-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('puts back together the instances with no command under way, and one with a command once it is done, without holding back the others', async () => {
    const [first, second, busy, unnetworked] = [specOf(true), specOf(true), specOf(true), specOf(false)];
    const folders = new InstanceFolders('h1', path.join(dir, 'storage'), path.join(dir, 'data'));
    for (const spec of [first, second, busy, unnetworked]) await folders.writeSpec(spec);
    let release = () => {};
    const driver = {
      stop: () => new Promise<void>((resolve) => (release = resolve)),
      state: async () => 'STOPPED' as const,
    };
    const putBacks: string[][] = [];
    const filters = {
      firewall: { heldPorts: async () => new Map<string, string>() },
      putBack: async (specs: InstanceSpec[]) => {
        putBacks.push(specs.map((spec) => spec.instanceId).sort());
        return { restored: specs.map((spec) => spec.instanceId), failed: [] };
      },
    };
    const drivers = { VM: driver, CONTAINER: driver } as unknown as { VM: LiveMigratingDriver; CONTAINER: InstanceDriver };
    const manager = new InstanceManager(folders, drivers, { filters: filters as unknown as InstanceFilters, bridges: {} as never });

    const stopping = manager.stop(busy.instanceId);
    const restoring = manager.restoreMissingFilters();
    expect(await waitUntil(() => putBacks.length === 1, 5_000, 5)).toBe(true);
    expect(putBacks).toEqual([[first.instanceId, second.instanceId].sort()]);

    release();
    await stopping;
    const { restored, failed } = await restoring;
    expect(putBacks[1]).toEqual([busy.instanceId]);
    expect(restored.sort()).toEqual([first.instanceId, second.instanceId, busy.instanceId].sort());
    expect(failed).toEqual([]);
  });
});
