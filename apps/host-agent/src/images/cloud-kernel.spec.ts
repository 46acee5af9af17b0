import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { moduleLoadOrder } from './cloud-kernel.js';

describe('the kernel modules the boot image loads', () => {
  const modulesDir = mkdtempSync(path.join(os.tmpdir(), 'awan-modules-'));
  writeFileSync(
    path.join(modulesDir, 'modules.dep'),
    [
      'kernel/drivers/virtio/virtio_ring.ko.xz:',
      'kernel/drivers/virtio/virtio.ko.xz: kernel/drivers/virtio/virtio_ring.ko.xz',
      'kernel/drivers/virtio/virtio_pci_legacy_dev.ko.xz:',
      'kernel/drivers/virtio/virtio_pci.ko.xz: kernel/drivers/virtio/virtio_pci_legacy_dev.ko.xz kernel/drivers/virtio/virtio.ko.xz kernel/drivers/virtio/virtio_ring.ko.xz',
      'kernel/drivers/block/virtio_blk.ko.xz: kernel/drivers/virtio/virtio.ko.xz kernel/drivers/virtio/virtio_ring.ko.xz',
      'kernel/drivers/char/hw_random/virtio-rng.ko.xz: kernel/drivers/virtio/virtio.ko.xz kernel/drivers/virtio/virtio_ring.ko.xz',
      '',
    ].join('\n'),
  );
  writeFileSync(path.join(modulesDir, 'modules.builtin'), 'kernel/drivers/acpi/button.ko\n');
  afterAll(() => rmSync(modulesDir, { recursive: true, force: true }));

  it('come each after the ones it needs, once, as modules.dep lists them', async () => {
    expect(await moduleLoadOrder(modulesDir, ['virtio_pci', 'virtio_blk', 'virtio_rng'])).toEqual([
      'kernel/drivers/virtio/virtio_pci_legacy_dev.ko.xz',
      'kernel/drivers/virtio/virtio_ring.ko.xz',
      'kernel/drivers/virtio/virtio.ko.xz',
      'kernel/drivers/virtio/virtio_pci.ko.xz',
      'kernel/drivers/block/virtio_blk.ko.xz',
      'kernel/drivers/char/hw_random/virtio-rng.ko.xz',
    ]);
  });

  it('skip a module built into the kernel and refuse one the kernel lacks', async () => {
    expect(await moduleLoadOrder(modulesDir, ['button'])).toEqual([]);
    await expect(moduleLoadOrder(modulesDir, ['isofs'])).rejects.toThrow(/isofs is neither in .*modules\.dep nor built in/);
  });
});
