import { fold } from '#libs/event-store';
import { deciderSpec } from '#libs/testing';
import { imageDecider, imageStatus, type ImageEvent } from './image.decider.js';

const spec = deciderSpec(imageDecider);
const naming = (field: string) => new RegExp(`^${field.replace(/[.[\]]/g, '\\$&')}: `);

const SHA = 'ab'.repeat(32);
const input = { id: 'debian-12', name: 'Debian 12', os: 'debian', version: '12', kind: 'VM', source: 'https://images.example.com/debian-12.qcow2', sha256: SHA };
const register = (changes: Record<string, unknown> = {}, regionIds = ['local', 'fra1']) => ({ type: 'RegisterImage' as const, input: { ...input, ...changes }, regionIds });
const registered: ImageEvent = {
  type: 'ImageRegistered',
  data: { imageId: 'debian-12', name: 'Debian 12', os: 'debian', version: '12', kind: 'VM', source: 'https://images.example.com/debian-12.qcow2', sha256: SHA, regionIds: ['fra1', 'local'] },
};
const importAnswer = { imageId: 'debian-12', regionId: 'local', hostId: 'h1', location: '/srv/awan/images/catalog/debian-12.qcow2', sizeMb: 300, virtualSizeMb: 2048 };
const imported = (regionId: string): ImageEvent => ({ type: 'ImageImported', data: { ...importAnswer, regionId } });
const failed: ImageEvent = { type: 'ImageImportFailed', data: { imageId: 'debian-12', regionId: 'fra1', hostId: 'h2', reason: 'checksum mismatch: the file\'s sha256 is 00…' } };
const retired: ImageEvent = { type: 'ImageRetired', data: { imageId: 'debian-12' } };
const status = (events: ImageEvent[]) => imageStatus(fold(imageDecider, events));

describe('an image', () => {
  it('is registered for the regions that have a host up to import it: IMPORTING', () => {
    spec.given([]).when(register({ sha256: SHA.toUpperCase() })).then([registered]);
    expect(status([registered])).toBe('IMPORTING');
    spec.given([registered]).when(register()).thenThrows(/exists already: register the new file under a new id/);
    spec.given([]).when(register({}, [])).thenThrows(/no region has an UP host running VM instances/);
  });

  it('is AVAILABLE once every region imported it, each answer counting once', () => {
    spec.given([registered]).when({ type: 'RecordImport', ...importAnswer }).then([imported('local')]);
    spec.given([registered, imported('local')]).when({ type: 'RecordImport', ...importAnswer }).then([]);
    expect(status([registered, imported('local')])).toBe('IMPORTING');
    expect(status([registered, imported('local'), imported('fra1')])).toBe('AVAILABLE');
  });

  it('is ERROR with the first refusal, naming its region; later answers change nothing', () => {
    spec.given([registered]).when({ type: 'FailImport', imageId: 'debian-12', regionId: 'fra1', hostId: 'h2', reason: failed.data.reason }).then([failed]);
    const state = fold(imageDecider, [registered, failed, imported('local')]);
    expect(imageStatus(state)).toBe('ERROR');
    expect(state.failure).toBe(`${failed.data.reason} (region fra1)`);
    spec.given([registered, failed]).when({ type: 'FailImport', imageId: 'debian-12', regionId: 'fra1', hostId: 'h2', reason: 'again' }).then([]);
  });

  it('is retired once, whatever its import came to', () => {
    spec.given([registered]).when({ type: 'RetireImage', imageId: 'debian-12' }).then([retired]);
    spec.given([registered, retired]).when({ type: 'RetireImage', imageId: 'debian-12' }).then([]);
    expect(status([registered, failed, retired])).toBe('RETIRED');
    expect(status([registered, retired, imported('local'), imported('fra1')])).toBe('RETIRED');
    spec.given([]).when({ type: 'RetireImage', imageId: 'debian-12' }).thenThrows('image debian-12 not found');
  });

  it('is fetched from an http(s) URL or a path that stays under the image storage', () => {
    for (const source of ['file:///etc/shadow', 'FILE:/etc/shadow', 'ftp://example.com/x.qcow2', '/etc/shadow', '../etc/shadow', 'images/../../etc/shadow', 'a/./b',
      'a//b', 'https://user:secret@example.com/x.qcow2', 'https://', 'a b.qcow2', 'x\\..\\y', '', 'x'.repeat(2049), 42]) {
      spec.given([]).when(register({ source })).thenThrows(naming('input.source'));
    }
    spec.given([]).when(register({ source: 'uploads/debian-12.qcow2' })).then([{ ...registered, data: { ...registered.data, source: 'uploads/debian-12.qcow2' } }]);
    spec.given([]).when(register({ source: 'HTTP://Images.Example.com/d.qcow2' })).then([{ ...registered, data: { ...registered.data, source: 'http://images.example.com/d.qcow2' } }]);
  });

  it('names each other field it refuses', () => {
    for (const sha256 of ['ab'.repeat(31), 'zz'.repeat(32), '', undefined]) spec.given([]).when(register({ sha256 })).thenThrows(naming('input.sha256'));
    for (const id of ['../x', 'Debian', '.x', '']) spec.given([]).when(register({ id })).thenThrows(naming('input.id'));
    spec.given([]).when(register({ kind: 'TOASTER' })).thenThrows(naming('input.kind'));
    for (const field of ['name', 'os', 'version']) spec.given([]).when(register({ [field]: '' })).thenThrows(naming(`input.${field}`));
  });
});
