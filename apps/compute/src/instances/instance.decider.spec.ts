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
const requested: InstanceEvent = { type: 'InstanceRequested', data: request };
const scheduled: InstanceEvent = { type: 'InstanceScheduled', data: { hostId: 'node-1' } };
const started: InstanceEvent = { type: 'InstanceStarted', data: {} };
const stopped: InstanceEvent = { type: 'InstanceStopped', data: {} };
const running = [requested, scheduled, started];
const status = (events: InstanceEvent[]) => fold(instanceDecider, events).status;

describe('an instance', () => {
  describe('being created', () => {
    it('is requested, then scheduled on a host, then running', () => {
      spec.given([]).when({ type: 'RequestInstance', request }).then([requested]);
      spec.given([requested]).when({ type: 'ScheduleInstance', hostId: 'node-1' }).then([scheduled]);
      spec.given([requested, scheduled]).when({ type: 'RecordStarted' }).then([started]);
      expect([status([requested]), status([requested, scheduled]), status(running)]).toEqual(['PENDING', 'PROVISIONING', 'RUNNING']);
    });

    it.each(['web_1', 'Web', '-web', 'web.example', 'a'.repeat(64), '', '$(reboot)'])('refuses the name %j as BAD_USER_INPUT on input.name', (name) => {
      expect(() => instanceDecider.decide({ type: 'RequestInstance', request: { ...request, name } }, instanceDecider.initialState())).toThrow(
        expect.objectContaining({ code: 'BAD_USER_INPUT', field: 'input.name' }),
      );
    });

    it('creates nothing for a repeated request', () => {
      spec.given([requested]).when({ type: 'RequestInstance', request }).then([]);
    });

    it('fails when provisioning fails, and when it outlives its timeout', () => {
      spec.given([requested, scheduled]).when({ type: 'RecordFailed', reason: 'lxc-start failed' })
        .then([{ type: 'InstanceFailed', data: { reason: 'lxc-start failed' } }]);
      spec.given([requested, scheduled]).when({ type: 'TimeOut', status: 'PROVISIONING' })
        .then([{ type: 'InstanceFailed', data: { reason: 'timed out while PROVISIONING' } }]);
      spec.given(running).when({ type: 'TimeOut', status: 'PROVISIONING' }).then([]); // it made it in time
    });
  });

  describe('running', () => {
    it('stops, and starts again', () => {
      spec.given(running).when({ type: 'StopInstance', force: true }).then([{ type: 'InstanceStopRequested', data: { force: true } }]);
      spec.given([...running, stopped]).when({ type: 'StartInstance' }).then([{ type: 'InstanceStartRequested', data: {} }]);
      expect(status([...running, stopped, started])).toBe('RUNNING');
    });

    it('treats a start of a running instance and a stop of a stopped one as done', () => {
      spec.given(running).when({ type: 'StartInstance' }).then([]);
      spec.given([...running, stopped]).when({ type: 'StopInstance', force: false }).then([]);
    });

    it('reboots through REBOOTING', () => {
      spec.given(running).when({ type: 'RebootInstance' }).then([{ type: 'InstanceRebootRequested', data: {} }]);
      expect(status([...running, { type: 'InstanceRebootRequested', data: {} }])).toBe('REBOOTING');
      expect(status([...running, { type: 'InstanceRebootRequested', data: {} }, started])).toBe('RUNNING');
    });

    it('resizes through RESIZING back to where it was, onto a plan of its own kind', () => {
      const resizing: InstanceEvent = { type: 'InstanceResizeRequested', data: { fromPlanId: 'vm-1g', toPlanId: 'vm-2g' } };
      spec.given(running).when({ type: 'ResizeInstance', toPlanId: 'vm-2g', toKind: 'VM' }).then([resizing]);
      spec.given([...running, resizing]).when({ type: 'RecordResized' }).then([{ type: 'InstanceResized', data: { fromPlanId: 'vm-1g', toPlanId: 'vm-2g' } }]);
      const after = fold(instanceDecider, [...running, resizing, { type: 'InstanceResized', data: { fromPlanId: 'vm-1g', toPlanId: 'vm-2g' } }]);
      expect(after).toMatchObject({ status: 'RUNNING', planId: 'vm-2g' });
      spec.given(running).when({ type: 'ResizeInstance', toPlanId: 'ct-2g', toKind: 'CONTAINER' })
        .thenThrows('planId: a VM takes a VM plan');
    });
  });

  describe('deleted', () => {
    const deleted: InstanceEvent[] = [...running, { type: 'InstanceDeletionRequested', data: {} }, { type: 'InstanceDeleted', data: {} }];

    it('goes through DELETING to DELETED from any state, and a second delete is done already', () => {
      spec.given(running).when({ type: 'DeleteInstance' }).then([{ type: 'InstanceDeletionRequested', data: {} }]);
      spec.given([requested, scheduled, { type: 'InstanceFailed', data: { reason: 'x' } }]).when({ type: 'DeleteInstance' })
        .then([{ type: 'InstanceDeletionRequested', data: {} }]);
      expect(status(deleted)).toBe('DELETED');
      spec.given(deleted).when({ type: 'DeleteInstance' }).then([]);
    });

    it('cannot be started, stopped, rebooted or resized: CONFLICT', () => {
      spec.given(deleted).when({ type: 'StartInstance' }).thenThrows('cannot start an instance that is DELETED');
      spec.given(deleted).when({ type: 'StopInstance', force: true }).thenThrows('cannot stop an instance that is DELETED');
      spec.given(deleted).when({ type: 'RebootInstance' }).thenThrows('cannot reboot an instance that is DELETED');
      spec.given(deleted).when({ type: 'ResizeInstance', toPlanId: 'vm-2g', toKind: 'VM' }).thenThrows('cannot resize an instance that is DELETED');
    });

    it('ignores a late report from its agent', () => {
      spec.given(deleted).when({ type: 'RecordStarted' }).then([]);
      spec.given(deleted).when({ type: 'RecordFailed', reason: 'late' }).then([]);
    });
  });

  it('is NOT_FOUND before it was requested', () => {
    spec.given([]).when({ type: 'StartInstance' }).thenThrows('instance not found');
  });
});
