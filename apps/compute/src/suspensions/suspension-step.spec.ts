import { fold } from '#libs/event-store';
import { instanceDecider, type InstanceEvent } from '../instances/instance.decider.js';
import { suspensionStep, type SuspensionStep } from './suspension-step.js';

const requested: InstanceEvent = {
  type: 'InstanceRequested',
  data: {
    instanceId: '5f0e6a2c-1111-4222-8333-944455556666', accountId: 'acc-1', name: 'web-1', kind: 'CONTAINER',
    imageId: 'alpine', planId: 'ct-512m', regionId: 'local', billingCycle: 'HOURLY',
  },
};
const scheduled: InstanceEvent = { type: 'InstanceScheduled', data: { hostId: 'node-1' } };
const addressed: InstanceEvent = { type: 'InstanceAddressed', data: { addresses: [] } };
const started: InstanceEvent = { type: 'InstanceStarted', data: {} };
const stopRequested = (force: boolean): InstanceEvent => ({ type: 'InstanceStopRequested', data: { force } });
const stopped: InstanceEvent = { type: 'InstanceStopped', data: {} };
const startRequested: InstanceEvent = { type: 'InstanceStartRequested', data: {} };
const rebootRequested: InstanceEvent = { type: 'InstanceRebootRequested', data: {} };
const resizeRequested: InstanceEvent = { type: 'InstanceResizeRequested', data: { fromPlanId: 'ct-512m', toPlanId: 'ct-1g' } };
const deletionRequested: InstanceEvent = { type: 'InstanceDeletionRequested', data: {} };
const deleted: InstanceEvent = { type: 'InstanceDeleted', data: {} };
const failed: InstanceEvent = { type: 'InstanceFailed', data: { reason: 'host refused' } };

const running = [requested, scheduled, addressed, started];
const stoppedHistory = [...running, stopRequested(false), stopped];

/** Given an instance's history, when its account is suspended, then the step taken for it. */
const given = (history: InstanceEvent[]) => ({
  thenStep: (expected: SuspensionStep) => expect(suspensionStep(fold(instanceDecider, history))).toBe(expected),
});

describe('an instance whose account is suspended', () => {
  it('is stopped when it is RUNNING with nothing under way', () => {
    given(running).thenStep('stop');
    given([...stoppedHistory, startRequested, started]).thenStep('stop');
  });

  it('is left when it is stopped, failed or deleted', () => {
    given(stoppedHistory).thenStep('leave');
    given([...running, failed]).thenStep('leave');
    given([requested, scheduled, failed]).thenStep('leave');
    given([...running, deletionRequested, deleted]).thenStep('leave');
  });

  it('is left when it is being stopped or deleted already', () => {
    given([...running, stopRequested(false)]).thenStep('leave');
    given([...running, rebootRequested, stopRequested(true)]).thenStep('leave');
    given([...running, deletionRequested]).thenStep('leave');
    given([requested, scheduled, deletionRequested]).thenStep('leave');
  });

  it('is waited for while it is on its way to running: it can be stopped only once there', () => {
    given([requested]).thenStep('wait');
    given([requested, scheduled]).thenStep('wait');
    given([requested, scheduled, addressed]).thenStep('wait');
    given([...stoppedHistory, startRequested]).thenStep('wait');
    given([...running, failed, startRequested]).thenStep('wait');
    given([...running, rebootRequested]).thenStep('wait');
    given([...running, resizeRequested]).thenStep('wait');
  });

  it('is left while a resize that ends stopped is under way', () => {
    given([...stoppedHistory, resizeRequested]).thenStep('leave');
  });
});
