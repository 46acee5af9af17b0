import type { Decider, DomainEvent } from '#libs/event-store';
import { AppError, type HostStatus } from '#libs/contracts';

export type HostEvent =
  | DomainEvent<'HostRegistered', { hostId: string; name: string; regionId: string }>
  /** An ADMIN enrolled the host (again): its agent connects with the credentials of `userKey` (a NATS user's public key), and no earlier ones. */
  | DomainEvent<'HostEnrolled', { hostId: string; name: string; regionId: string; userKey: string }>
  | DomainEvent<'HostUp', { hostId: string }>
  | DomainEvent<'HostDown', { hostId: string }>
  | DomainEvent<'HostMaintenanceChanged', { hostId: string; maintenance: boolean }>
  /** A new agent process runs on the host (its heartbeats say when it started): it is sent its instances' filters again. */
  | DomainEvent<'HostAgentStarted', { hostId: string; agentStartedAt: string }>
  /** The host left the platform: its credentials are revoked, and its heartbeats no longer count. */
  | DomainEvent<'HostRetired', { hostId: string }>;

export type HostCommand =
  /** The host's agent said it is alive, and (an agent since firewalls) when it started. */
  | { type: 'RecordHeartbeat'; hostId: string; name: string; regionId: string; agentStartedAt?: string }
  /** The host missed heartbeats for the down-timeout. */
  | { type: 'MarkHostDown'; hostId: string }
  | { type: 'SetMaintenance'; hostId: string; maintenance: boolean }
  | { type: 'Enroll'; hostId: string; regionId: string; userKey: string }
  | { type: 'Retire'; hostId: string };

export interface HostState {
  registered: boolean;
  down: boolean;
  maintenance: boolean;
  retired: boolean;
  regionId: string | null;
  /** When the agent whose heartbeats it last recorded started (null before any said). */
  agentStartedAt: string | null;
}

export function hostStatus(state: HostState): HostStatus {
  if (state.down) return 'DOWN';
  return state.maintenance ? 'MAINTENANCE' : 'UP';
}

export const hostStreamId = (hostId: string) => `host-${hostId}`;

/**
 * A hypervisor host as compute knows it: enrolled by an ADMIN (DOWN until its agent's first
 * heartbeat) or, where NATS lets any agent in, registered by its first heartbeat; DOWN when its
 * heartbeats stop; retired for good, when nothing it says counts any more (until it is enrolled again).
 */
export const hostDecider: Decider<HostCommand, HostState, HostEvent> = {
  initialState: () => ({ registered: false, down: false, maintenance: false, retired: false, regionId: null, agentStartedAt: null }),

  decide(command, state) {
    switch (command.type) {
      case 'RecordHeartbeat': {
        if (state.retired) return [];
        const { hostId, agentStartedAt } = command;
        const events: HostEvent[] = [];
        if (!state.registered) events.push({ type: 'HostRegistered', data: { hostId, name: command.name, regionId: command.regionId } });
        else if (state.down) events.push({ type: 'HostUp', data: { hostId } });
        if (agentStartedAt && agentStartedAt !== state.agentStartedAt) events.push({ type: 'HostAgentStarted', data: { hostId, agentStartedAt } });
        return events;
      }
      case 'MarkHostDown':
        return state.registered && !state.down ? [{ type: 'HostDown', data: { hostId: command.hostId } }] : [];
      case 'SetMaintenance':
        if (!state.registered || state.retired) throw AppError.notFound(`host ${command.hostId}`);
        return state.maintenance === command.maintenance
          ? []
          : [{ type: 'HostMaintenanceChanged', data: { hostId: command.hostId, maintenance: command.maintenance } }];
      case 'Enroll':
        // Its instances and reservations are in its region: a live host cannot move to another.
        if (state.registered && !state.retired && state.regionId !== command.regionId) {
          throw AppError.badInput('input.regionId', `host ${command.hostId} is in region ${state.regionId}: retire it before enrolling it in another`);
        }
        return [{ type: 'HostEnrolled', data: { hostId: command.hostId, name: command.hostId, regionId: command.regionId, userKey: command.userKey } }];
      case 'Retire':
        if (!state.registered) throw AppError.notFound(`host ${command.hostId}`);
        return state.retired ? [] : [{ type: 'HostRetired', data: { hostId: command.hostId } }];
    }
  },

  evolve(state, event) {
    switch (event.type) {
      case 'HostRegistered':
        return { ...state, registered: true, regionId: event.data.regionId };
      case 'HostEnrolled':
        // A new or retired host is DOWN, with no capacity, until its agent's first heartbeat; a live one stays as it is.
        return state.registered && !state.retired
          ? state
          : { registered: true, down: true, maintenance: false, retired: false, regionId: event.data.regionId, agentStartedAt: null };
      case 'HostUp':
        return { ...state, down: false };
      case 'HostDown':
        return { ...state, down: true };
      case 'HostMaintenanceChanged':
        return { ...state, maintenance: event.data.maintenance };
      case 'HostRetired':
        return { ...state, retired: true };
      case 'HostAgentStarted':
        return { ...state, agentStartedAt: event.data.agentStartedAt };
    }
  },
};
