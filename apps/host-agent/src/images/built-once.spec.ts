import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildOnce, sweepLeftovers, workInProgress } from './built-once.js';

describe('work in progress on the image storage the region’s hosts share', () => {
  let images: string;
  beforeEach(() => (images = mkdtempSync(path.join(os.tmpdir(), 'awan-images-'))));
  afterEach(() => rmSync(images, { recursive: true, force: true }));

  it('is named for the machine and the process, so two hosts whose agents have the same pid never write into one folder', () => {
    expect(workInProgress('/storage/images/unpacked/abc-mapped')).toBe(`/storage/images/unpacked/abc-mapped.partial-${os.hostname()}-${process.pid}`);
  });

  it('leaves nothing half-made beside the target when a build fails, and builds it whole when asked again', async () => {
    const target = path.join(images, 'empty-disks', 'none-1G.qcow2');
    await expect(buildOnce(target, async (partial) => {
      writeFileSync(partial, 'half');
      throw new Error('qemu-img failed');
    })).rejects.toThrow('qemu-img failed');
    expect(readdirSync(path.dirname(target))).toEqual([]);
    await buildOnce(target, async (partial) => writeFileSync(partial, 'whole'));
    expect(readdirSync(path.dirname(target))).toEqual(['none-1G.qcow2']);
  });

  it('sweeps what this machine’s processes that are gone left, and nothing of a live one, another host or a finished image', async () => {
    const gone = spawnSync('true').pid!; // exited and reaped
    const mine = `.partial-${os.hostname()}-`;
    const make = (relative: string, folder = true) => {
      const file = path.join(images, relative);
      mkdirSync(path.dirname(file), { recursive: true });
      if (folder) mkdirSync(file);
      else writeFileSync(file, '');
      return file;
    };
    const left = [
      make(`busybox-rootfs.tar.gz${mine}${gone}`, false),
      make(`unpacked/key2-mapped${mine}${gone}`),
      make(`unpacked/key2-mapped${mine}${gone}.host`), // what that build made beside it
      make(`catalog/.import-debian-12${mine}${gone}`),
    ];
    const kept = [
      make('unpacked/key1-mapped'),
      make(`unpacked/key1-mapped/etc/x${mine}${gone}`, false), // inside a finished image: its own file
      make(`empty-disks/none-1G.qcow2${mine}${process.pid}`, false), // this process's, under way
      make(`empty-disks/none-2G.qcow2.partial-another-host-${gone}`, false),
      make('catalog/debian-12.qcow2', false),
    ];

    expect((await sweepLeftovers(images)).sort()).toEqual(left.sort());
    expect(left.filter((file) => existsSync(file))).toEqual([]);
    expect(kept.filter((file) => !existsSync(file))).toEqual([]);
    expect(await sweepLeftovers(path.join(images, 'no-such-folder'))).toEqual([]);
  });
});
