import type { Decider, DomainEvent } from '#libs/event-store';
import { AppError, type HostStatus } from '#libs/contracts';

export type HostEvent =
  | DomainEvent<'HostRegistered', { hostId: string; name: string; regionId: string }>
  | DomainEvent<'HostUp', { hostId: string }>
  | DomainEvent<'HostDown', { hostId: string }>
  | DomainEvent<'HostMaintenanceChanged', { hostId: string; maintenance: boolean }>;

export type HostCommand =
  /** The host's agent said it is alive. */
  | { type: 'RecordHeartbeat'; hostId: string; name: string; regionId: string }
  /** The host missed heartbeats for the down-timeout. */
  | { type: 'MarkHostDown'; hostId: string }
  | { type: 'SetMaintenance'; hostId: string; maintenance: boolean };

export interface HostState {
  registered: boolean;
  down: boolean;
  maintenance: boolean;
}

export function hostStatus(state: HostState): HostStatus {
  if (state.down) return 'DOWN';
  return state.maintenance ? 'MAINTENANCE' : 'UP';
}

export const hostStreamId = (hostId: string) => `host-${hostId}`;

/** A hypervisor host as compute knows it: registered by its first heartbeat, DOWN when they stop. */
export const hostDecider: Decider<HostCommand, HostState, HostEvent> = {
  initialState: () => ({ registered: false, down: false, maintenance: false }),

  decide(command, state) {
    switch (command.type) {
      case 'RecordHeartbeat':
        if (!state.registered) {
          return [{ type: 'HostRegistered', data: { hostId: command.hostId, name: command.name, regionId: command.regionId } }];
        }
        return state.down ? [{ type: 'HostUp', data: { hostId: command.hostId } }] : [];
      case 'MarkHostDown':
        return state.registered && !state.down ? [{ type: 'HostDown', data: { hostId: command.hostId } }] : [];
      case 'SetMaintenance':
        if (!state.registered) throw AppError.notFound(`host ${command.hostId}`);
        return state.maintenance === command.maintenance
          ? []
          : [{ type: 'HostMaintenanceChanged', data: { hostId: command.hostId, maintenance: command.maintenance } }];
    }
  },

  evolve(state, event) {
    switch (event.type) {
      case 'HostRegistered':
        return { ...state, registered: true };
      case 'HostUp':
        return { ...state, down: false };
      case 'HostDown':
        return { ...state, down: true };
      case 'HostMaintenanceChanged':
        return { ...state, maintenance: event.data.maintenance };
    }
  },
};
