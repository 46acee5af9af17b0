import { fold } from '#libs/event-store';
import { deciderSpec } from '#libs/testing';
import { instanceDecider, type InstanceCommand, type InstanceEvent } from '../instances/instance.decider.js';

const spec = deciderSpec(instanceDecider);
const state = (events: InstanceEvent[]) => fold(instanceDecider, events);

const running: InstanceEvent[] = [
  {
    type: 'InstanceRequested',
    data: { instanceId: '5f0e6a2c-1111-4222-8333-944455556666', accountId: 'acc-1', name: 'web-1', kind: 'VM', imageId: 'debian-12', planId: 'vm-1g', regionId: 'local', billingCycle: 'HOURLY' },
  },
  { type: 'InstanceScheduled', data: { hostId: 'node-1' } },
  { type: 'InstanceAddressed', data: { addresses: [] } },
  { type: 'InstanceStarted', data: {} }, // version 4
];
const stopped: InstanceEvent[] = [...running, { type: 'InstanceStopRequested', data: { force: false } }, { type: 'InstanceStopped', data: {} }]; // version 6

const S1 = '0c4d8f2e-0000-4000-8000-000000000001';
const S2 = '0c4d8f2e-0000-4000-8000-000000000002';
const create = (snapshotId: string, name = 'before-upgrade', limit = 10): InstanceCommand => ({ type: 'CreateSnapshot', snapshotId, name, limit });
const requested = (snapshotId: string, name = 'before-upgrade'): InstanceEvent => ({ type: 'SnapshotRequested', data: { snapshotId, name } });
const created = (snapshotId: string, sizeMb = 40): InstanceEvent => ({ type: 'SnapshotCreated', data: { snapshotId, sizeMb } });
/** A history with an AVAILABLE snapshot S1 of 40 MB taken after `before` (whose last event is at version `version`). */
const withSnapshot = (before: InstanceEvent[]) => [...before, requested(S1), created(S1)];

describe("an instance's snapshots", () => {
  describe('taken', () => {
    it('of a running or a stopped instance: CREATING, then AVAILABLE with its size once the host took it; the status stays', () => {
      spec.given(running).when(create(S1)).then([requested(S1)]);
      spec.given(stopped).when(create(S1)).then([requested(S1)]);
      spec.given([...running, requested(S1)]).when({ type: 'CompleteSnapshot', requestVersion: 5, sizeMb: 40 }).then([created(S1)]);
      expect(state([...running, requested(S1)])).toMatchObject({ status: 'RUNNING', operation: { kind: 'snapshot', snapshotId: S1 }, snapshots: { [S1]: { status: 'CREATING' } } });
      expect(state(withSnapshot(stopped))).toMatchObject({ status: 'STOPPED', operation: null, snapshots: { [S1]: { name: 'before-upgrade', status: 'AVAILABLE' } } });
    });

    it('fails with the reason the host gives, and a late or repeated answer changes nothing', () => {
      spec.given([...running, requested(S1)]).when({ type: 'FailOperation', requestVersion: 5, reason: 'snapshot failed on host node-1: disk full' })
        .then([{ type: 'SnapshotFailed', data: { snapshotId: S1, reason: 'snapshot failed on host node-1: disk full' } }]);
      expect(state([...running, requested(S1), { type: 'SnapshotFailed', data: { snapshotId: S1, reason: 'x' } }])).toMatchObject({
        status: 'RUNNING', operation: null, snapshots: { [S1]: { status: 'ERROR' } },
      });
      spec.given(withSnapshot(running)).when({ type: 'CompleteSnapshot', requestVersion: 5, sizeMb: 41 }).then([]);
      spec.given(withSnapshot(running)).when(create(S1)).then([]);
    });

    it.each(['Before', 'a_b', '-x', 'x'.repeat(64), ''])('refuses the name %j as BAD_USER_INPUT on name', (name) => {
      expect(() => instanceDecider.decide(create(S1, name), state(running))).toThrow(expect.objectContaining({ code: 'BAD_USER_INPUT', field: 'name' }));
    });

    it('refuses a second live snapshot of the same name on name', () => {
      expect(() => instanceDecider.decide(create(S2), state(withSnapshot(running)))).toThrow(expect.objectContaining({ code: 'BAD_USER_INPUT', field: 'name' }));
      const deleted = [...withSnapshot(running), { type: 'SnapshotDeletionRequested', data: { snapshotId: S1 } }, { type: 'SnapshotDeleted', data: { snapshotId: S1 } }] as InstanceEvent[];
      spec.given(deleted).when(create(S2)).then([requested(S2)]);
    });

    it('holds at most the limit (those CREATING, AVAILABLE or DELETING); beyond it CONFLICT; a failed or deleted one counts no more', () => {
      const ids = Array.from({ length: 3 }, (_, i) => `0c4d8f2e-0000-4000-8000-00000000010${i}`);
      const three = [...running, ...ids.flatMap((id, i) => [requested(id, `s${i}`), created(id)])];
      spec.given(three).when(create(S1, 'fourth', 3)).thenThrows(/has 3 snapshots, the most it may have \(3\)/);
      spec.given(three).when(create(S1, 'fourth', 4)).then([requested(S1, 'fourth')]);
      const oneFailed = [...running, ...ids.slice(0, 2).flatMap((id, i) => [requested(id, `s${i}`), created(id)]), requested(ids[2], 's2'),
        { type: 'SnapshotFailed', data: { snapshotId: ids[2], reason: 'x' } }] as InstanceEvent[];
      spec.given(oneFailed).when(create(S1, 'fourth', 3)).then([requested(S1, 'fourth')]);
    });

    it('is CONFLICT during another operation, and another operation is CONFLICT while one is taken', () => {
      const resizing = [...running, { type: 'InstanceResizeRequested', data: { fromPlanId: 'vm-1g', toPlanId: 'vm-2g' } }] as InstanceEvent[];
      spec.given(resizing).when(create(S1)).thenThrows(/cannot snapshot an instance that is RESIZING \(resize in progress\)/);
      spec.given([...running, { type: 'InstanceRebootRequested', data: {} }]).when(create(S1)).thenThrows(/REBOOTING/);
      const taking = [...running, requested(S1)];
      for (const command of [
        { type: 'StopInstance', force: false }, { type: 'RebootInstance' }, { type: 'ResizeInstance', toPlanId: 'vm-2g', toKind: 'VM' },
        { type: 'MigrateInstance', toHostId: 'node-2', reason: 'admin' }, create(S2, 'other'),
      ] as InstanceCommand[]) {
        spec.given(taking).when(command).thenThrows(/\(snapshot in progress\)/);
      }
      // A drain passes over it, to try again later.
      spec.given(taking).when({ type: 'MigrateInstance', toHostId: null, reason: 'drain' }).then([]);
    });

    it('of a deleted, failed or pending instance is CONFLICT', () => {
      spec.given([running[0]]).when(create(S1)).thenThrows(/PENDING/);
      spec.given([...running, { type: 'InstanceFailed', data: { reason: 'x' } }]).when(create(S1)).thenThrows(/ERROR/);
      spec.given([...running, { type: 'InstanceDeletionRequested', data: {} }, { type: 'InstanceDeleted', data: {} }]).when(create(S1)).thenThrows(/DELETED/);
    });
  });

  describe('restored', () => {
    it('onto the stopped instance: RESTORING until the host is done, then STOPPED; the snapshot and later ones stay', () => {
      const later = [...withSnapshot(stopped), requested(S2, 'later'), created(S2)]; // version 10
      spec.given(later).when({ type: 'RestoreSnapshot', snapshotId: S1 }).then([{ type: 'SnapshotRestoreRequested', data: { snapshotId: S1 } }]);
      const restoring = [...later, { type: 'SnapshotRestoreRequested', data: { snapshotId: S1 } }] as InstanceEvent[];
      expect(state(restoring)).toMatchObject({ status: 'RESTORING', operation: { kind: 'restore', snapshotId: S1, version: 11 } });
      spec.given(restoring).when({ type: 'RestoreSnapshot', snapshotId: S1 }).then([]);
      spec.given(restoring).when({ type: 'StartInstance' }).thenThrows(/RESTORING \(restore in progress\)/);
      spec.given(restoring).when({ type: 'CompleteOperation', requestVersion: 11 }).then([{ type: 'SnapshotRestored', data: { snapshotId: S1 } }]);
      const restored = [...restoring, { type: 'SnapshotRestored', data: { snapshotId: S1 } }] as InstanceEvent[];
      expect(state(restored)).toMatchObject({ status: 'STOPPED', operation: null, snapshots: { [S1]: { status: 'AVAILABLE' }, [S2]: { status: 'AVAILABLE' } } });
    });

    it('fails the instance when the host cannot, and times out as any transition does', () => {
      const restoring = [...withSnapshot(stopped), { type: 'SnapshotRestoreRequested', data: { snapshotId: S1 } }] as InstanceEvent[]; // version 9
      spec.given(restoring).when({ type: 'FailOperation', requestVersion: 9, reason: 'restore failed' }).then([{ type: 'InstanceFailed', data: { reason: 'restore failed' } }]);
      spec.given(restoring).when({ type: 'TimeOut', status: 'RESTORING', statusVersion: 9 }).then([{ type: 'InstanceFailed', data: { reason: 'timed out while RESTORING' } }]);
    });

    it('onto a running instance, or from a snapshot that is not AVAILABLE, is CONFLICT; an unknown snapshot NOT_FOUND', () => {
      spec.given(withSnapshot(running)).when({ type: 'RestoreSnapshot', snapshotId: S1 }).thenThrows(/cannot restore a snapshot onto an instance that is RUNNING/);
      spec.given([...stopped, requested(S1)]).when({ type: 'RestoreSnapshot', snapshotId: S1 }).thenThrows(/is CREATING: only an AVAILABLE one is restored/);
      expect(() => instanceDecider.decide({ type: 'RestoreSnapshot', snapshotId: S2 }, state(withSnapshot(stopped)))).toThrow(expect.objectContaining({ code: 'NOT_FOUND' }));
    });
  });

  describe('deleted', () => {
    it('DELETING until the host freed its space, then DELETED; asked again, nothing more', () => {
      spec.given(withSnapshot(running)).when({ type: 'DeleteSnapshot', snapshotId: S1 }).then([{ type: 'SnapshotDeletionRequested', data: { snapshotId: S1 } }]);
      const deleting = [...withSnapshot(running), { type: 'SnapshotDeletionRequested', data: { snapshotId: S1 } }] as InstanceEvent[]; // version 7
      spec.given(deleting).when({ type: 'DeleteSnapshot', snapshotId: S1 }).then([]);
      spec.given(deleting).when({ type: 'StopInstance', force: false }).thenThrows(/deleteSnapshot in progress/);
      spec.given(deleting).when({ type: 'CompleteOperation', requestVersion: 7 }).then([{ type: 'SnapshotDeleted', data: { snapshotId: S1 } }]);
      expect(state([...deleting, { type: 'SnapshotDeleted', data: { snapshotId: S1 } }])).toMatchObject({ operation: null, snapshots: { [S1]: { status: 'DELETED' } } });
    });

    it('a failed one too, and not one being taken', () => {
      const failed = [...running, requested(S1), { type: 'SnapshotFailed', data: { snapshotId: S1, reason: 'x' } }] as InstanceEvent[];
      spec.given(failed).when({ type: 'DeleteSnapshot', snapshotId: S1 }).then([{ type: 'SnapshotDeletionRequested', data: { snapshotId: S1 } }]);
      spec.given([...running, requested(S1)]).when({ type: 'DeleteSnapshot', snapshotId: S1 }).thenThrows(/is being taken/);
    });

    it('with the instance: each snapshot not deleted before, then the instance', () => {
      const history = [...withSnapshot(running), requested(S2, 'later'), created(S2), { type: 'InstanceDeletionRequested', data: {} }] as InstanceEvent[]; // version 9
      spec.given(history).when({ type: 'CompleteOperation', requestVersion: 9 }).then([
        { type: 'SnapshotDeleted', data: { snapshotId: S1 } }, { type: 'SnapshotDeleted', data: { snapshotId: S2 } }, { type: 'InstanceDeleted', data: {} },
      ]);
      // A deletion takes over a snapshot being taken.
      spec.given([...running, requested(S1)]).when({ type: 'DeleteInstance' }).then([{ type: 'InstanceDeletionRequested', data: {} }]);
    });
  });

  describe('and moves', () => {
    it('go with the instance: a migration changes none of them', () => {
      const migrated = [...withSnapshot(running), { type: 'InstanceMigrationRequested', data: { fromHostId: 'node-1', toHostId: 'node-2', live: true, reason: 'admin' } },
        { type: 'InstanceMigrated', data: { fromHostId: 'node-1', toHostId: 'node-2' } }] as InstanceEvent[];
      expect(state(migrated)).toMatchObject({ hostId: 'node-2', status: 'RUNNING', snapshots: { [S1]: { status: 'AVAILABLE' } } });
    });

    it('a lost host takes over a snapshot it was taking: the snapshot fails, the instance moves', () => {
      spec.given([...running, requested(S1)]).when({ type: 'MigrateInstance', toHostId: null, reason: 'evacuation' }).then([
        { type: 'SnapshotFailed', data: { snapshotId: S1, reason: 'host node-1 was lost meanwhile' } },
        { type: 'InstanceMigrationRequested', data: { fromHostId: 'node-1', toHostId: null, live: false, reason: 'evacuation' } },
      ]);
    });
  });
});
