import { fold } from '#libs/event-store';
import { instanceDecider, type InstanceEvent } from '../instances/instance.decider.js';
import { filterHostOf } from './instance-filters.js';

const requested: InstanceEvent = {
  type: 'InstanceRequested',
  data: { instanceId: '5f0e6a2c-1111-4222-8333-944455556666', accountId: 'acc-1', name: 'web-1', kind: 'VM', imageId: 'img', planId: 'plan', regionId: 'local', billingCycle: 'HOURLY' },
};
const scheduled: InstanceEvent = { type: 'InstanceScheduled', data: { hostId: 'node-1' } };
const addressed: InstanceEvent = { type: 'InstanceAddressed', data: { addresses: [] } };
const started: InstanceEvent = { type: 'InstanceStarted', data: {} };
const hostOf = (events: InstanceEvent[]) => filterHostOf(fold(instanceDecider, events));

describe("the host that enforces an instance's filter", () => {
  it('is none before its host is asked to create it: the create carries the filter', () => {
    expect(hostOf([requested])).toBeNull();
    expect(hostOf([requested, scheduled])).toBeNull();
    expect(hostOf([requested, scheduled, addressed])).toBe('node-1');
  });

  it('is its host while it holds it, stopped, failed after it ran, or moving away from it', () => {
    const running = [requested, scheduled, addressed, started];
    expect(hostOf(running)).toBe('node-1');
    expect(hostOf([...running, { type: 'InstanceStopRequested', data: { force: false } }, { type: 'InstanceStopped', data: {} }])).toBe('node-1');
    expect(hostOf([...running, { type: 'InstanceFailed', data: { reason: 'x' } }])).toBe('node-1');
    const moving: InstanceEvent = { type: 'InstanceMigrationRequested', data: { fromHostId: 'node-1', toHostId: 'node-2', live: true, reason: 'admin' } };
    expect(hostOf([...running, moving])).toBe('node-1');
    expect(hostOf([...running, moving, { type: 'InstanceMigrated', data: { fromHostId: 'node-1', toHostId: 'node-2' } }])).toBe('node-2');
  });

  it('is none once it is gone from there: deleted, or a create that failed', () => {
    expect(hostOf([requested, scheduled, addressed, { type: 'InstanceFailed', data: { reason: 'no image' } }])).toBeNull();
    const deleting: InstanceEvent[] = [requested, scheduled, addressed, started, { type: 'InstanceDeletionRequested', data: {} }];
    expect(hostOf(deleting)).toBeNull();
    expect(hostOf([...deleting, { type: 'InstanceDeleted', data: {} }])).toBeNull();
  });
});
