import { randomUUID } from 'node:crypto';
import { SYSTEM_ACTOR, type ComputeEvents, type EventMetadata } from '#libs/contracts';
import { fold, handleCommand, readState, type EventStore } from '#libs/event-store';
import { instanceDecider, instanceStreamId, type InstanceCommand } from '../src/instances/instance.decider.js';

export const metadata: EventMetadata = { correlationId: 'c-1', causationId: null, actor: SYSTEM_ACTOR };

/**
 * A create's first events, as compute decides them: requested, then scheduled on node-1 (PROVISIONING).
 * Its region (`proj`) and plan (`proj-small`: 1 vCPU, 512 MB, 5 GB) are the test database's to hold.
 */
export function createEvents(name: string) {
  const request: ComputeEvents['InstanceRequested'] = {
    instanceId: randomUUID(), accountId: 'acme', name, kind: 'CONTAINER', imageId: 'dev-busybox-rootfs', planId: 'proj-small',
    regionId: 'proj', billingCycle: 'HOURLY',
  };
  const requested = instanceDecider.decide({ type: 'RequestInstance', request }, instanceDecider.initialState());
  const scheduled = instanceDecider.decide({ type: 'ScheduleInstance', requestVersion: 1, hostId: 'node-1' }, fold(instanceDecider, requested));
  return { id: request.instanceId, streamId: instanceStreamId(request.instanceId), events: [...requested, ...scheduled] };
}

/** A new instance, addressed and RUNNING on node-1, and how to decide its next commands and complete their operations. */
export async function runningInstance(store: EventStore, name: string, address: string) {
  const { id, streamId, events } = createEvents(name);
  await store.append(streamId, events, { expectedVersion: 0, metadata });
  const decide = (command: InstanceCommand) => handleCommand(store, streamId, instanceDecider, command, metadata);
  const complete = async () => decide({ type: 'CompleteOperation', requestVersion: (await readState(store, streamId, instanceDecider)).state.operation!.version });
  await decide({
    type: 'AssignAddresses',
    addresses: [{ ipId: randomUUID(), family: 'IPV4', address, prefixLength: 25, gateway: '198.51.100.1', bridge: 'awanbr0' }],
  });
  await complete();
  return { id, streamId, accountId: (events[0].data as ComputeEvents['InstanceRequested']).accountId, decide, complete };
}
