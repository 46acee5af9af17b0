import { mkdtempSync, rmSync, unlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { InstanceSpec } from '#libs/contracts';
import { InstanceFolders } from './instance-folder.js';

const spec: InstanceSpec = {
  instanceId: '5f0e6a2c-1111-4222-8333-944455556666', name: 'web-1', kind: 'CONTAINER', vcpus: 1, memoryMb: 128, diskGb: 1,
  image: { kind: 'CONTAINER', location: 'dev:busybox-rootfs' },
};

describe('instance folders on storage two hosts share', () => {
  const root = mkdtempSync(path.join(os.tmpdir(), 'awan-folders-'));
  const storage = path.join(root, 'shared');
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('lists an instance on the host that holds it only, and on the other once that one adopts it', async () => {
    const a = new InstanceFolders('host-a', storage, path.join(root, 'a'));
    const b = new InstanceFolders('host-b', storage, path.join(root, 'b'));
    await a.writeSpec(spec);
    expect((await a.list()).map((s) => s.instanceId)).toEqual([spec.instanceId]);
    expect(await b.list()).toEqual([]);
    expect(await b.readOwnSpec(spec.instanceId)).toBeNull();

    await b.claim(spec.instanceId);
    expect(await a.list()).toEqual([]);
    expect(await b.readOwnSpec(spec.instanceId)).toEqual(spec);
    expect(await a.owner(spec.instanceId)).toBe('host-b');
  });

  it('keeps each host’s runtime files apart, and forgets them without touching the storage', async () => {
    const a = new InstanceFolders('host-a', storage, path.join(root, 'a'));
    const b = new InstanceFolders('host-b', storage, path.join(root, 'b'));
    expect(await a.runtimeFile(spec.instanceId, 'qemu.pid')).not.toBe(await b.runtimeFile(spec.instanceId, 'qemu.pid'));
    expect(await a.runtimeIds()).toContain(spec.instanceId);
    await a.forget(spec.instanceId);
    expect(await a.runtimeIds()).not.toContain(spec.instanceId);
    expect(await b.readOwnSpec(spec.instanceId)).toEqual(spec);
  });

  it('takes a folder without an owner (made before owners were kept) as its own where it alone uses the storage', async () => {
    const alone = new InstanceFolders('host-c', path.join(root, 'c'));
    await alone.writeSpec(spec);
    unlinkSync(alone.file(spec.instanceId, 'owner'));
    expect((await alone.list()).map((s) => s.instanceId)).toEqual([spec.instanceId]);
    expect(await alone.owner(spec.instanceId)).toBe('host-c');
  });
});
