import { fold } from '#libs/event-store';
import { deciderSpec } from '#libs/testing';
import { instanceDecider, type InstanceEvent } from './instance.decider.js';

const spec = deciderSpec(instanceDecider);
const request = {
  instanceId: '5f0e6a2c-1111-4222-8333-944455556666',
  accountId: 'acc-1',
  name: 'web-1',
  kind: 'VM' as const,
  imageId: 'debian-12',
  planId: 'vm-1g',
  regionId: 'local',
  billingCycle: 'HOURLY' as const,
};
const requested: InstanceEvent = { type: 'InstanceRequested', data: request }; // version 1
const scheduled: InstanceEvent = { type: 'InstanceScheduled', data: { hostId: 'node-1' } }; // version 2
const addresses = [
  { ipId: 'a4', family: 'IPV4' as const, address: '192.0.2.10', prefixLength: 24, gateway: '192.0.2.1', bridge: 'awanbr0' },
  { ipId: 'a6', family: 'IPV6' as const, address: '2001:db8::10', prefixLength: 64, gateway: '2001:db8::1', bridge: 'awanbr0' },
];
const addressed: InstanceEvent = { type: 'InstanceAddressed', data: { addresses } }; // version 3
const started: InstanceEvent = { type: 'InstanceStarted', data: {} }; // version 4
const stopRequested = (force: boolean): InstanceEvent => ({ type: 'InstanceStopRequested', data: { force } });
const stopped: InstanceEvent = { type: 'InstanceStopped', data: {} };
const failed = (reason: string): InstanceEvent => ({ type: 'InstanceFailed', data: { reason } });
const running = [requested, scheduled, addressed, started];
const stoppedHistory = [...running, stopRequested(false), stopped]; // version 6
const status = (events: InstanceEvent[]) => fold(instanceDecider, events).status;

describe('an instance', () => {
  describe('being created', () => {
    it('is requested, then scheduled on a host, then given its addresses, then running', () => {
      spec.given([]).when({ type: 'RequestInstance', request }).then([requested]);
      spec.given([requested]).when({ type: 'ScheduleInstance', requestVersion: 1, hostId: 'node-1' }).then([scheduled]);
      spec.given([requested, scheduled]).when({ type: 'AssignAddresses', addresses }).then([addressed]);
      spec.given([requested, scheduled, addressed]).when({ type: 'CompleteOperation', requestVersion: 3 }).then([started]);
      expect([status([requested]), status([requested, scheduled]), status([requested, scheduled, addressed]), status(running)])
        .toEqual(['PENDING', 'PROVISIONING', 'PROVISIONING', 'RUNNING']);
      expect(fold(instanceDecider, running).addresses).toEqual(addresses);
    });

    it('is not created on its host before network gave it its addresses, and takes them once', () => {
      spec.given([requested, scheduled]).when({ type: 'CompleteOperation', requestVersion: 2 }).then([]);
      spec.given([requested, scheduled, addressed]).when({ type: 'AssignAddresses', addresses }).then([]);
    });

    it('fails when its region has no address for it', () => {
      spec.given([requested, scheduled]).when({ type: 'FailAddressing', reason: 'pool local-ipv4 is exhausted' })
        .then([failed('no addresses: pool local-ipv4 is exhausted')]);
      spec.given(running).when({ type: 'FailAddressing', reason: 'late' }).then([]);
    });

    it.each(['web_1', 'Web', '-web', 'web.example', 'a'.repeat(64), '', '$(reboot)'])('refuses the name %j as BAD_USER_INPUT on input.name', (name) => {
      expect(() => instanceDecider.decide({ type: 'RequestInstance', request: { ...request, name } }, instanceDecider.initialState())).toThrow(
        expect.objectContaining({ code: 'BAD_USER_INPUT', field: 'input.name' }),
      );
    });

    it('creates nothing for a repeated request, and schedules once', () => {
      spec.given([requested]).when({ type: 'RequestInstance', request }).then([]);
      spec.given([requested, scheduled]).when({ type: 'ScheduleInstance', requestVersion: 1, hostId: 'node-2' }).then([]);
    });

    it('fails when provisioning fails, and when it outlives its timeout', () => {
      spec.given([requested, scheduled, addressed]).when({ type: 'FailOperation', requestVersion: 3, reason: 'lxc-start failed' })
        .then([failed('lxc-start failed')]);
      spec.given([requested, scheduled]).when({ type: 'TimeOut', status: 'PROVISIONING', statusVersion: 2 })
        .then([failed('timed out while PROVISIONING')]);
      spec.given(running).when({ type: 'TimeOut', status: 'PROVISIONING', statusVersion: 2 }).then([]); // it made it in time
      expect(fold(instanceDecider, [requested, scheduled, failed('x')]).provisioned).toBe(false);
    });

    it('ignores an agent that answers after the create timed out', () => {
      spec.given([requested, scheduled, addressed, failed('timed out while PROVISIONING')]).when({ type: 'CompleteOperation', requestVersion: 3 }).then([]);
    });
  });

  describe('running', () => {
    it('stops through STOPPING, and starts again through STARTING', () => {
      const startRequested: InstanceEvent = { type: 'InstanceStartRequested', data: {} };
      spec.given(running).when({ type: 'StopInstance', force: false }).then([stopRequested(false)]);
      expect(status([...running, stopRequested(false)])).toBe('STOPPING');
      spec.given([...running, stopRequested(false)]).when({ type: 'CompleteOperation', requestVersion: 5 }).then([stopped]);
      spec.given(stoppedHistory).when({ type: 'StartInstance' }).then([startRequested]);
      expect(status([...stoppedHistory, startRequested])).toBe('STARTING');
      spec.given([...stoppedHistory, startRequested]).when({ type: 'CompleteOperation', requestVersion: 7 }).then([started]);
      spec.given([...stoppedHistory, startRequested]).when({ type: 'TimeOut', status: 'STARTING', statusVersion: 7 }).then([failed('timed out while STARTING')]);
    });

    it('treats a start of a running or starting instance, and a stop of a stopped or stopping one, as done', () => {
      spec.given(running).when({ type: 'StartInstance' }).then([]);
      spec.given([...stoppedHistory, { type: 'InstanceStartRequested', data: {} }]).when({ type: 'StartInstance' }).then([]);
      spec.given(stoppedHistory).when({ type: 'StopInstance', force: false }).then([]);
      spec.given([...running, stopRequested(false)]).when({ type: 'StopInstance', force: false }).then([]);
    });

    it('runs one operation at a time, but a forced stop takes over a graceful one', () => {
      const stopping = [...running, stopRequested(false)];
      spec.given(stopping).when({ type: 'RebootInstance' }).thenThrows('cannot reboot an instance that is STOPPING (stop in progress)');
      spec.given(stopping).when({ type: 'StartInstance' }).thenThrows('cannot start an instance that is STOPPING (stop in progress)');
      spec.given(stopping).when({ type: 'StopInstance', force: true }).then([stopRequested(true)]);
      spec.given([...stopping, stopRequested(true)]).when({ type: 'StopInstance', force: true }).then([]);
      // the graceful stop's late answer no longer counts; the forced one's does
      spec.given([...stopping, stopRequested(true)]).when({ type: 'CompleteOperation', requestVersion: 5 }).then([]);
      spec.given([...stopping, stopRequested(true)]).when({ type: 'CompleteOperation', requestVersion: 6 }).then([stopped]);
    });

    it('reboots through REBOOTING', () => {
      const rebooting: InstanceEvent[] = [...running, { type: 'InstanceRebootRequested', data: {} }];
      spec.given(running).when({ type: 'RebootInstance' }).then([{ type: 'InstanceRebootRequested', data: {} }]);
      expect(status(rebooting)).toBe('REBOOTING');
      spec.given(rebooting).when({ type: 'CompleteOperation', requestVersion: 5 }).then([started]);
      spec.given(rebooting).when({ type: 'TimeOut', status: 'REBOOTING', statusVersion: 5 }).then([failed('timed out while REBOOTING')]);
    });

    it('resizes through RESIZING back to where it was, onto a plan of its own kind', () => {
      const resizing: InstanceEvent = { type: 'InstanceResizeRequested', data: { fromPlanId: 'vm-1g', toPlanId: 'vm-2g' } };
      const resized: InstanceEvent = { type: 'InstanceResized', data: { fromPlanId: 'vm-1g', toPlanId: 'vm-2g' } };
      spec.given(running).when({ type: 'ResizeInstance', toPlanId: 'vm-2g', toKind: 'VM' }).then([resizing]);
      spec.given([...running, resizing]).when({ type: 'CompleteOperation', requestVersion: 5 }).then([resized]);
      expect(fold(instanceDecider, [...running, resizing, resized])).toMatchObject({ status: 'RUNNING', planId: 'vm-2g' });
      expect(fold(instanceDecider, [...stoppedHistory, resizing, resized])).toMatchObject({ status: 'STOPPED', planId: 'vm-2g' });
      spec.given(running).when({ type: 'ResizeInstance', toPlanId: 'ct-2g', toKind: 'CONTAINER' }).thenThrows('planId: a VM takes a VM plan');
    });

    it('records in its history that a resize restarted the guest, when the host had to', () => {
      const resizing: InstanceEvent = { type: 'InstanceResizeRequested', data: { fromPlanId: 'vm-2g', toPlanId: 'vm-1g' } };
      const restartedResize: InstanceEvent = { type: 'InstanceResized', data: { fromPlanId: 'vm-2g', toPlanId: 'vm-1g', restarted: true } };
      spec.given([...running, resizing]).when({ type: 'CompleteOperation', requestVersion: 5, restarted: true }).then([restartedResize]);
      // A resize done in place, or by an agent that does not say, records no restart.
      spec.given([...running, resizing]).when({ type: 'CompleteOperation', requestVersion: 5, restarted: false })
        .then([{ type: 'InstanceResized', data: { fromPlanId: 'vm-2g', toPlanId: 'vm-1g' } }]);
      expect(fold(instanceDecider, [...running, resizing, restartedResize])).toMatchObject({ status: 'RUNNING', planId: 'vm-1g' });
    });

    it('stops when its host reports the guest powered off, unless something changed since', () => {
      spec.given(running).when({ type: 'ObserveStopped', statusVersion: 4 }).then([stopped]);
      spec.given([...running, stopRequested(false)]).when({ type: 'ObserveStopped', statusVersion: 4 }).then([]); // a stop is under way
      spec.given([...stoppedHistory, { type: 'InstanceStartRequested', data: {} }, started]).when({ type: 'ObserveStopped', statusVersion: 4 }).then([]);
    });

    it('can be started or stopped again after a failed operation, to recover it', () => {
      const broken = [...running, { type: 'InstanceRebootRequested', data: {} } as InstanceEvent, failed('reboot failed')];
      spec.given(broken).when({ type: 'StartInstance' }).then([{ type: 'InstanceStartRequested', data: {} }]);
      spec.given(broken).when({ type: 'StopInstance', force: true }).then([stopRequested(true)]);
      // one that never ran has nothing on a host to start
      spec.given([requested, scheduled, addressed, failed('x')]).when({ type: 'StartInstance' }).thenThrows('cannot start an instance that is ERROR');
    });
  });

  describe('deleted', () => {
    const deleted: InstanceEvent[] = [...running, { type: 'InstanceDeletionRequested', data: {} }, { type: 'InstanceDeleted', data: {} }];

    it('goes through DELETING to DELETED from any state, and a second delete is done already', () => {
      spec.given(running).when({ type: 'DeleteInstance' }).then([{ type: 'InstanceDeletionRequested', data: {} }]);
      spec.given([requested]).when({ type: 'DeleteInstance' }).then([{ type: 'InstanceDeletionRequested', data: {} }]);
      spec.given([...running, { type: 'InstanceDeletionRequested', data: {} }]).when({ type: 'CompleteOperation', requestVersion: 5 })
        .then([{ type: 'InstanceDeleted', data: {} }]);
      expect(status(deleted)).toBe('DELETED');
      spec.given(deleted).when({ type: 'DeleteInstance' }).then([]);
    });

    it('supersedes a create under way: the create\'s answer no longer counts', () => {
      const deleting: InstanceEvent[] = [requested, scheduled, addressed, { type: 'InstanceDeletionRequested', data: {} }];
      spec.given(deleting).when({ type: 'CompleteOperation', requestVersion: 3 }).then([]);
      spec.given([requested, scheduled, { type: 'InstanceDeletionRequested', data: {} }]).when({ type: 'AssignAddresses', addresses }).then([]);
      spec.given([requested, { type: 'InstanceDeletionRequested', data: {} }]).when({ type: 'ScheduleInstance', requestVersion: 1, hostId: 'node-1' }).then([]);
    });

    it('cannot be started, stopped, rebooted or resized: CONFLICT', () => {
      spec.given(deleted).when({ type: 'StartInstance' }).thenThrows('cannot start an instance that is DELETED');
      spec.given(deleted).when({ type: 'StopInstance', force: true }).thenThrows('cannot stop an instance that is DELETED');
      spec.given(deleted).when({ type: 'RebootInstance' }).thenThrows('cannot reboot an instance that is DELETED');
      spec.given(deleted).when({ type: 'ResizeInstance', toPlanId: 'vm-2g', toKind: 'VM' }).thenThrows('cannot resize an instance that is DELETED');
    });

    it('ignores a late report from its agent', () => {
      spec.given(deleted).when({ type: 'CompleteOperation', requestVersion: 2 }).then([]);
      spec.given(deleted).when({ type: 'FailOperation', requestVersion: 5, reason: 'late' }).then([]);
    });
  });

  describe('moving between hosts', () => {
    const migrationRequested = (toHostId: string | null, live: boolean, reason: 'admin' | 'drain' | 'evacuation'): InstanceEvent => ({
      type: 'InstanceMigrationRequested', data: { fromHostId: 'node-1', toHostId, live, reason },
    });
    const migrated: InstanceEvent = { type: 'InstanceMigrated', data: { fromHostId: 'node-1', toHostId: 'node-2' } };

    it('is evacuated from a DOWN host when RUNNING: MIGRATING, then RUNNING on the new host', () => {
      const evacuating = [...running, migrationRequested(null, false, 'evacuation')]; // version 5
      spec.given(running).when({ type: 'MigrateInstance', toHostId: null, reason: 'evacuation' }).then([migrationRequested(null, false, 'evacuation')]);
      expect(status(evacuating)).toBe('MIGRATING');
      spec.given(evacuating).when({ type: 'CompleteMigration', requestVersion: 5, toHostId: 'node-2' }).then([migrated]);
      expect(fold(instanceDecider, [...evacuating, migrated])).toMatchObject({ status: 'RUNNING', hostId: 'node-2', operation: null });
    });

    it('is not evacuated unless RUNNING and idle, and once only', () => {
      const evacuate = { type: 'MigrateInstance', toHostId: null, reason: 'evacuation' } as const;
      spec.given(stoppedHistory).when(evacuate).then([]);
      spec.given([...running, stopRequested(false)]).when(evacuate).then([]);
      spec.given([...running, migrationRequested(null, false, 'evacuation')]).when(evacuate).then([]);
    });

    it('fails when no host can take it after its host was lost', () => {
      spec.given([...running, migrationRequested(null, false, 'evacuation')]).when({ type: 'FailOperation', requestVersion: 5, reason: 'no room' })
        .then([failed('no room')]);
    });

    it('moves live when a RUNNING VM is migrated by an ADMIN, stopped when it is STOPPED, and returns to its status', () => {
      spec.given(running).when({ type: 'MigrateInstance', toHostId: 'node-2', reason: 'admin' }).then([migrationRequested('node-2', true, 'admin')]);
      spec.given(stoppedHistory).when({ type: 'MigrateInstance', toHostId: null, reason: 'drain' }).then([migrationRequested(null, false, 'drain')]);
      const moved = [...stoppedHistory, migrationRequested(null, false, 'drain'), migrated];
      expect(fold(instanceDecider, moved)).toMatchObject({ status: 'STOPPED', hostId: 'node-2' });
    });

    it('stays where it was, as it was, when a migration fails', () => {
      const migrating = [...running, migrationRequested('node-2', true, 'admin')];
      const aborted: InstanceEvent = { type: 'InstanceMigrationAborted', data: { reason: 'QMP migrate: failed' } };
      spec.given(migrating).when({ type: 'FailOperation', requestVersion: 5, reason: 'QMP migrate: failed' }).then([aborted]);
      expect(fold(instanceDecider, [...migrating, aborted])).toMatchObject({ status: 'RUNNING', hostId: 'node-1', operation: null });
    });

    it('refuses an ADMIN\'s migration it cannot do, and a delete while it moves', () => {
      spec.given([...running, { type: 'InstanceRebootRequested', data: {} }]).when({ type: 'MigrateInstance', toHostId: null, reason: 'admin' })
        .thenThrows('cannot migrate an instance that is REBOOTING');
      spec.given(running).when({ type: 'MigrateInstance', toHostId: 'node-1', reason: 'admin' }).thenThrows('the instance is on host node-1 already');
      spec.given([...running, migrationRequested(null, true, 'admin')]).when({ type: 'DeleteInstance' }).thenThrows('cannot delete an instance that is MIGRATING');
      spec.given([...running, { type: 'InstanceRebootRequested', data: {} }]).when({ type: 'MigrateInstance', toHostId: null, reason: 'drain' }).then([]);
    });

    it('records where a migration that timed out put it all the same, unless anything was asked of it since', () => {
      const timedOut = [...running, migrationRequested(null, true, 'admin'), failed('timed out while MIGRATING')];
      expect(status(timedOut)).toBe('ERROR');
      spec.given(timedOut).when({ type: 'CompleteMigration', requestVersion: 5, toHostId: 'node-2' }).then([migrated]);
      expect(fold(instanceDecider, [...timedOut, migrated])).toMatchObject({ status: 'RUNNING', hostId: 'node-2', operation: null, lateMigration: null });
      spec.given([...timedOut, migrated]).when({ type: 'CompleteMigration', requestVersion: 5, toHostId: 'node-2' }).then([]); // answered again

      const stoppedMove = [...stoppedHistory, migrationRequested(null, false, 'drain')];
      const coldTimedOut = [...stoppedMove, failed('timed out while MIGRATING')];
      spec.given(coldTimedOut).when({ type: 'CompleteMigration', requestVersion: stoppedMove.length, toHostId: 'node-2' }).then([migrated]);
      expect(fold(instanceDecider, [...coldTimedOut, migrated])).toMatchObject({ status: 'STOPPED', hostId: 'node-2' });

      const deletedSince = [...timedOut, { type: 'InstanceDeletionRequested', data: {} } as InstanceEvent];
      spec.given(deletedSince).when({ type: 'CompleteMigration', requestVersion: 5, toHostId: 'node-2' }).then([]);
      const otherFailure = [...running, { type: 'InstanceRebootRequested', data: {} } as InstanceEvent, failed('timed out while REBOOTING')];
      spec.given(otherFailure).when({ type: 'CompleteMigration', requestVersion: 5, toHostId: 'node-2' }).then([]);
    });
  });

  describe('fenced by its host', () => {
    it('starts again where it is when the host fenced it during a short loss of the control plane', () => {
      spec.given(running).when({ type: 'ObserveStopped', statusVersion: 4, fenced: true })
        .then([stopped, { type: 'InstanceStartRequested', data: {} }]);
      spec.given(running).when({ type: 'ObserveStopped', statusVersion: 4 }).then([stopped]);
    });
  });

  it('is NOT_FOUND before it was requested', () => {
    spec.given([]).when({ type: 'StartInstance' }).thenThrows('instance not found');
  });
});
