import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { InstanceSpec } from '#libs/contracts';
import { describeWithHardware, waitFor } from '#libs/testing';
import { probeHost } from '../host/host-probe.js';
import { processGone } from '../host/program.js';
import { ConsoleLogs } from '../consoles/console-logs.js';
import { findCloudKernel } from '../images/cloud-kernel.js';
import { InstanceFolders } from './instance-folder.js';
import { InstanceManager } from './instance-manager.js';
import { LxcDriver } from './lxc.driver.js';
import { QemuDriver } from './qemu.driver.js';

const dataDir = mkdtempSync(path.join(os.tmpdir(), 'awan-agent-'));
const abilities = await probeHost(dataDir);
const skipReason = !abilities.kinds.includes('VM')
  ? abilities.notes.join('; ')
  : !(await findCloudKernel())
    ? 'no Debian cloud kernel (apt-get install --no-install-recommends linux-image-cloud-amd64)'
    : null;

const folders = new InstanceFolders('test-host', dataDir);
// TCG boots Linux on any host, nested KVM included (where KVM does not), in a few seconds.
const manager = new InstanceManager(folders, { VM: new QemuDriver({ folders, accelerator: 'tcg' }), CONTAINER: new LxcDriver(folders) });

afterAll(async () => {
  for (const status of await manager.list()) await manager.delete(status.instanceId);
  rmSync(dataDir, { recursive: true, force: true });
});

describeWithHardware('a VM booting Debian’s cloud kernel with a busybox initramfs, for real under TCG', skipReason, () => {
  const STOP_TIMEOUT_MS = 30_000;

  it('prints the hostname from its NoCloud seed, powers itself off on a graceful stop, and deletes without a trace', async () => {
    const name = `boot-test-${randomUUID().slice(0, 8)}`;
    const vm: InstanceSpec = {
      instanceId: randomUUID(),
      name,
      kind: 'VM',
      vcpus: 1,
      memoryMb: 256,
      diskGb: 1,
      image: { kind: 'VM', location: 'dev:busybox-kernel' },
    };
    const id = vm.instanceId;
    const serialConsole = () => readFile(folders.file(id, 'console.log'), 'utf8').catch(() => '');

    expect(await manager.create(vm, true)).toMatchObject({ state: 'RUNNING' });
    await waitFor(async () => (await serialConsole()).includes(`awan-guest: hostname ${name}`), 60_000, 'the seed’s hostname on the serial console');
    await waitFor(async () => (await serialConsole()).includes('awan-guest: waiting for the power button'), 10_000, 'init to wait for the power button');

    // The guest hears the ACPI button and powers off by itself: the stop ends long before its forced quit.
    const pid = Number((await readFile(await folders.runtimeFile(id, 'qemu.pid'), 'utf8')).trim());
    const stopping = Date.now();
    expect(await manager.stop(id, false, STOP_TIMEOUT_MS)).toMatchObject({ state: 'STOPPED' });
    expect(Date.now() - stopping).toBeLessThan(STOP_TIMEOUT_MS);
    expect(await serialConsole()).toContain('awan-guest: power button pressed, powering off');
    expect(await processGone(pid)).toBe(true);

    expect(await manager.delete(id)).toMatchObject({ state: 'MISSING' });
    expect(existsSync(folders.dir(id))).toBe(false);
  }, 120_000);

  it('keeps its console log bounded as it boots: past the limit the log goes to console.log.1, and QEMU writes on at the start of console.log', async () => {
    const name = `log-test-${randomUUID().slice(0, 8)}`;
    const vm: InstanceSpec = { instanceId: randomUUID(), name, kind: 'VM', vcpus: 1, memoryMb: 256, diskGb: 1, image: { kind: 'VM', location: 'dev:busybox-kernel' } };
    const log = folders.file(vm.instanceId, 'console.log');
    const both = async () => `${await readFile(`${log}.1`, 'latin1').catch(() => '')}${await readFile(log, 'latin1').catch(() => '')}`;
    // A limit the kernel's first lines pass: the agent's own is 1 MiB.
    const logs = new ConsoleLogs(folders, 4096);
    let rotations = 0;
    await manager.create(vm, true);
    await waitFor(async () => {
      rotations += (await logs.keep()).length;
      return (await both()).includes(`awan-guest: hostname ${name}`);
    }, 60_000, 'the hostname, with the log rotated as it grew');
    await waitFor(async () => (await both()).includes('awan-guest: waiting for the power button'), 10_000, 'init to wait for the power button');

    expect(rotations).toBeGreaterThan(0);
    expect((await readFile(`${log}.1`, 'latin1')).length).toBeGreaterThan(4096);
    // What the guest says after the last rotation is in console.log, from its start: no hole of zeros where QEMU's offset was.
    expect(await manager.stop(vm.instanceId, false, STOP_TIMEOUT_MS)).toMatchObject({ state: 'STOPPED' });
    const current = await readFile(log, 'latin1');
    expect(current).toContain('awan-guest: power button pressed, powering off');
    expect(current).not.toContain('\0');
    await manager.delete(vm.instanceId);
  }, 120_000);
});
