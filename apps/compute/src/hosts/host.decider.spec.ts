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

  it("records each new agent from when its heartbeats say it started: with the host's first heartbeat, on its return, or alone", () => {
    const started = (at: string): HostEvent => ({ type: 'HostAgentStarted', data: { hostId: 'h1', agentStartedAt: at } });
    const beat = (at: string) => ({ ...heartbeat, agentStartedAt: at });
    const first = '2026-12-01T08:00:00.000Z';
    const second = '2026-12-01T09:30:00.000Z';
    spec.given([]).when(beat(first)).then([registered, started(first)]);
    spec.given([registered, started(first)]).when(beat(first)).then([]);
    spec.given([registered, started(first)]).when(beat(second)).then([started(second)]);
    spec.given([registered, started(first), down]).when(beat(second)).then([{ type: 'HostUp', data: { hostId: 'h1' } }, started(second)]);
    // An agent from before firewalls says nothing of its start.
    spec.given([registered, started(first)]).when(heartbeat).then([]);
    spec.given([registered, started(first), { type: 'HostRetired', data: { hostId: 'h1' } }]).when(beat(second)).then([]);
  });

  it('reports DOWN over MAINTENANCE over UP', () => {
    const inMaintenance: HostEvent = { type: 'HostMaintenanceChanged', data: { hostId: 'h1', maintenance: true } };
    expect(hostStatus(fold(hostDecider, [registered]))).toBe('UP');
    expect(hostStatus(fold(hostDecider, [registered, inMaintenance]))).toBe('MAINTENANCE');
    expect(hostStatus(fold(hostDecider, [registered, inMaintenance, down]))).toBe('DOWN');
  });

  describe('enrolment', () => {
    const enroll = (userKey: string, regionId = 'local') => ({ type: 'Enroll' as const, hostId: 'h1', regionId, userKey });
    const enrolled = (userKey: string): HostEvent => ({ type: 'HostEnrolled', data: { hostId: 'h1', name: 'h1', regionId: 'local', userKey } });
    const retired: HostEvent = { type: 'HostRetired', data: { hostId: 'h1' } };

    it('enrolls a new host DOWN, and its first heartbeat brings it UP', () => {
      spec.given([]).when(enroll('UKEY1')).then([enrolled('UKEY1')]);
      expect(hostStatus(fold(hostDecider, [enrolled('UKEY1')]))).toBe('DOWN');
      spec.given([enrolled('UKEY1')]).when(heartbeat).then([{ type: 'HostUp', data: { hostId: 'h1' } }]);
    });

    it('enrolls a host again with new credentials, keeping it as it is, but never into another region', () => {
      spec.given([registered]).when(enroll('UKEY2')).then([enrolled('UKEY2')]);
      expect(hostStatus(fold(hostDecider, [registered, enrolled('UKEY2')]))).toBe('UP');
      spec.given([registered]).when(enroll('UKEY2', 'other')).thenThrows('host h1 is in region local');
    });

    it('retires a host once; its heartbeats then count for nothing, and it can be enrolled again, DOWN', () => {
      spec.given([registered]).when({ type: 'Retire', hostId: 'h1' }).then([retired]);
      spec.given([registered, retired]).when({ type: 'Retire', hostId: 'h1' }).then([]);
      spec.given([registered, retired]).when(heartbeat).then([]);
      spec.given([registered, retired]).when({ type: 'SetMaintenance', hostId: 'h1', maintenance: true }).thenThrows('host h1 not found');
      spec.given([registered, retired]).when(enroll('UKEY3', 'other')).then([{ type: 'HostEnrolled', data: { hostId: 'h1', name: 'h1', regionId: 'other', userKey: 'UKEY3' } }]);
      expect(hostStatus(fold(hostDecider, [registered, retired, enrolled('UKEY3')]))).toBe('DOWN');
    });

    it('is NOT_FOUND when retiring a host never heard of', () => {
      spec.given([]).when({ type: 'Retire', hostId: 'h1' }).thenThrows('host h1 not found');
    });

    it('still marks a retired host DOWN when it falls silent, so its instances are restarted elsewhere after it fenced', () => {
      spec.given([registered, retired]).when({ type: 'MarkHostDown', hostId: 'h1' }).then([down]);
    });
  });
});
