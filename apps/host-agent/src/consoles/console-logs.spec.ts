import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { InstanceSpec } from '#libs/contracts';
import { InstanceFolders } from '../instances/instance-folder.js';
import { ConsoleLogs, rotateConsoleLog } from './console-logs.js';

const instance = (kind: 'VM' | 'CONTAINER'): InstanceSpec => ({
  instanceId: randomUUID(), name: 'log-1', kind, vcpus: 1, memoryMb: 128, diskGb: 1,
  image: kind === 'VM' ? { kind, location: 'dev:busybox-kernel' } : { kind, location: 'dev:busybox-rootfs' },
});

describe('console logs, bounded', () => {
  const root = mkdtempSync(path.join(os.tmpdir(), 'awan-console-logs-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('leaves a log at or under the limit, and a VM with no log yet, as they are', async () => {
    const file = path.join(root, 'small.log');
    writeFileSync(file, 'x'.repeat(100));
    expect(await rotateConsoleLog(file, 100)).toBe(false);
    expect(readFileSync(file, 'utf8')).toHaveLength(100);
    expect(existsSync(`${file}.1`)).toBe(false);
    expect(await rotateConsoleLog(path.join(root, 'none.log'), 100)).toBe(false);
  });

  it('moves a log past the limit to <log>.1, over the one before, and starts the log again', async () => {
    const file = path.join(root, 'big.log');
    writeFileSync(`${file}.1`, 'the rotation before');
    writeFileSync(file, 'boot lines\n'.repeat(20));
    expect(await rotateConsoleLog(file, 100)).toBe(true);
    expect(readFileSync(`${file}.1`, 'utf8')).toBe('boot lines\n'.repeat(20));
    expect(readFileSync(file, 'utf8')).toBe('');
  });

  it('empties a log past the limit even where it cannot be copied (a full storage): the bound comes first', async () => {
    const file = path.join(root, 'uncopied.log');
    mkdirSync(`${file}.1`);
    writeFileSync(file, 'z'.repeat(200));
    expect(await rotateConsoleLog(file, 100)).toBe(true);
    expect(readFileSync(file, 'utf8')).toBe('');
    expect(existsSync(`${file}.1`)).toBe(false);
  });

  it("rotates this host's VMs' logs only: a container's is LXC's to bound, another host's is that host's", async () => {
    const storage = path.join(root, 'storage');
    const here = new InstanceFolders('host-a', storage, path.join(root, 'a'));
    const there = new InstanceFolders('host-b', storage, path.join(root, 'b'));
    const [vm, container, othersVm] = [instance('VM'), instance('CONTAINER'), instance('VM')];
    await here.writeSpec(vm);
    await here.writeSpec(container);
    await there.writeSpec(othersVm);
    for (const spec of [vm, container, othersVm]) writeFileSync(here.file(spec.instanceId, 'console.log'), 'y'.repeat(5000));

    expect(await new ConsoleLogs(here, 4096).keep()).toEqual([vm.instanceId]);
    expect(readFileSync(here.file(vm.instanceId, 'console.log'), 'utf8')).toBe('');
    expect(readFileSync(here.file(container.instanceId, 'console.log'), 'utf8')).toHaveLength(5000);
    expect(readFileSync(here.file(othersVm.instanceId, 'console.log'), 'utf8')).toHaveLength(5000);
  });
});
