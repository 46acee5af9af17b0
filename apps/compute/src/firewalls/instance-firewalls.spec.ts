import { fold } from '#libs/event-store';
import { deciderSpec } from '#libs/testing';
import { instanceDecider, type InstanceCommand, type InstanceEvent } from '../instances/instance.decider.js';

const spec = deciderSpec(instanceDecider);
const running: InstanceEvent[] = [
  {
    type: 'InstanceRequested',
    data: { instanceId: '5f0e6a2c-1111-4222-8333-944455556666', accountId: 'acc-1', name: 'web-1', kind: 'VM', imageId: 'img', planId: 'plan', regionId: 'local', billingCycle: 'HOURLY' },
  },
  { type: 'InstanceScheduled', data: { hostId: 'node-1' } },
  { type: 'InstanceAddressed', data: { addresses: [] } },
  { type: 'InstanceStarted', data: {} },
];
const web = '7c1d2e3f-4a5b-4c6d-8e7f-8091a2b3c4d5';
const ssh = '0a1b2c3d-4e5f-4a6b-9c7d-8e9fa0b1c2d3';
const attach = (firewallId = web, name = 'web'): InstanceCommand => ({ type: 'RecordFirewallAttached', firewallId, name });
const detach = (firewallId = web, reason: 'detached' | 'instance deleted' = 'detached'): InstanceCommand => ({ type: 'RecordFirewallDetached', firewallId, name: 'web', reason });
const attached = (firewallId = web, name = 'web'): InstanceEvent => ({ type: 'InstanceFirewallAttached', data: { firewallId, name } });
const detached = (reason: 'detached' | 'instance deleted' = 'detached'): InstanceEvent => ({ type: 'InstanceFirewallDetached', data: { firewallId: web, name: 'web', reason } });

describe("an instance's firewalls, in its history", () => {
  it('records an attach once while attached, and a detach once after its attach', () => {
    spec.given(running).when(attach()).then([attached()]);
    spec.given([...running, attached()]).when(attach()).then([]); // redelivered
    spec.given([...running, attached()]).when(detach()).then([detached()]);
    // Attached again after its detach: a new fact.
    spec.given([...running, attached(), detached()]).when(attach()).then([attached()]);
  });

  it('refuses a detach that comes before its attach, so it is retried after it rather than lost', () => {
    spec.given(running).when(detach()).thenThrows('is not attached to the instance yet');
    // Attached, detached, attached again: the second detach handled before the second attach.
    spec.given([...running, attached(), detached()]).when(detach()).thenThrows('is not attached to the instance yet');
  });

  it('keeps each firewall apart', () => {
    spec.given([...running, attached()]).when(attach(ssh, 'ssh')).then([attached(ssh, 'ssh')]);
    spec.given([...running, attached(ssh, 'ssh')]).when(detach()).thenThrows('is not attached to the instance yet');
  });

  it('changes nothing else: not the status, not an operation under way', () => {
    const stopping: InstanceEvent[] = [...running, { type: 'InstanceStopRequested', data: { force: false } }];
    const before = fold(instanceDecider, stopping);
    const after = fold(instanceDecider, [...stopping, attached(), attached(ssh, 'ssh'), detached()]);
    expect({ ...after, version: before.version }).toEqual({ ...before, firewalls: { [ssh]: 'ssh' } });
    expect(after.version).toBe(before.version + 3);
  });

  it('records in any status: a detach because the instance was deleted comes after its end', () => {
    const deleted: InstanceEvent[] = [...running, attached(), { type: 'InstanceDeletionRequested', data: {} }, { type: 'InstanceDeleted', data: {} }];
    spec.given(deleted).when(detach(web, 'instance deleted')).then([detached('instance deleted')]);
    spec.given(running.slice(0, 1)).when(attach()).then([attached()]); // still PENDING
  });

  it('refuses an instance that does not exist', () => {
    spec.given([]).when(attach()).thenThrows('instance not found');
  });
});
