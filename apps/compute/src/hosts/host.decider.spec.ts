import { deciderSpec } from '#libs/testing';
import { hostDecider, hostStatus, type HostEvent } from './host.decider.js';
import { fold } from '#libs/event-store';

const spec = deciderSpec(hostDecider);
const registered: HostEvent = { type: 'HostRegistered', data: { hostId: 'h1', name: 'node-1', regionId: 'local' } };
const down: HostEvent = { type: 'HostDown', data: { hostId: 'h1' } };
const heartbeat = { type: 'RecordHeartbeat' as const, hostId: 'h1', name: 'node-1', regionId: 'local' };

describe('a host', () => {
  it('registers with its first heartbeat', () => {
    spec.given([]).when(heartbeat).then([registered]);
  });

  it('records nothing for the heartbeats of a host that is up', () => {
    spec.given([registered]).when(heartbeat).then([]);
  });

  it('goes down once when its heartbeats stop, and comes up with the next one', () => {
    spec.given([registered]).when({ type: 'MarkHostDown', hostId: 'h1' }).then([down]);
    spec.given([registered, down]).when({ type: 'MarkHostDown', hostId: 'h1' }).then([]);
    spec.given([registered, down]).when(heartbeat).then([{ type: 'HostUp', data: { hostId: 'h1' } }]);
  });

  it('enters and leaves maintenance, and an unknown host is NOT_FOUND', () => {
    spec.given([registered]).when({ type: 'SetMaintenance', hostId: 'h1', maintenance: true })
      .then([{ type: 'HostMaintenanceChanged', data: { hostId: 'h1', maintenance: true } }]);
    spec.given([]).when({ type: 'SetMaintenance', hostId: 'h1', maintenance: true }).thenThrows('host h1 not found');
  });

  it('reports DOWN over MAINTENANCE over UP', () => {
    const inMaintenance: HostEvent = { type: 'HostMaintenanceChanged', data: { hostId: 'h1', maintenance: true } };
    expect(hostStatus(fold(hostDecider, [registered]))).toBe('UP');
    expect(hostStatus(fold(hostDecider, [registered, inMaintenance]))).toBe('MAINTENANCE');
    expect(hostStatus(fold(hostDecider, [registered, inMaintenance, down]))).toBe('DOWN');
  });
});
