import { AppError, type IpFamily, type NetworkEvents } from '#libs/contracts';
import type { Decider, DomainEvent } from '#libs/event-store';

export type IpEvent =
  | DomainEvent<'IpAllocated', NetworkEvents['IpAllocated']>
  | DomainEvent<'IpAssigned', NetworkEvents['IpAssigned']>
  | DomainEvent<'IpUnassigned', NetworkEvents['IpUnassigned']>
  | DomainEvent<'IpReleased', NetworkEvents['IpReleased']>
  | DomainEvent<'ReverseDnsSet', NetworkEvents['ReverseDnsSet']>
  | DomainEvent<'ReverseDnsCleared', NetworkEvents['ReverseDnsCleared']>;

/** The instance an address is to go to, as network knows it from compute's events. */
export interface TargetInstance {
  instanceId: string;
  accountId: string;
  regionId: string;
  /** Deleted, or failed before it ever ran. */
  ended: boolean;
}

export type IpCommand =
  /** Records an address the allocator has claimed for the account. */
  | { type: 'AllocateIp'; allocation: NetworkEvents['IpAllocated'] }
  | { type: 'AssignIp'; instance: TargetInstance }
  | { type: 'UnassignIp' }
  /** `bySystem`: the instance that owns the address is gone; a user may release only floating addresses. */
  | { type: 'ReleaseIp'; bySystem: boolean }
  | { type: 'SetReverseDns'; hostname: string | null };

export interface IpState {
  ipId: string | null;
  status: 'ALLOCATED' | 'RELEASED' | null;
  family: IpFamily | null;
  accountId: string | null;
  regionId: string | null;
  floating: boolean;
  instanceId: string | null;
  reverseDns: string | null;
}

export const ipStreamId = (ipId: string) => `ip-${ipId}`;

/**
 * One address from allocation to release. A floating address moves between the account's
 * instances of its region; an instance's own address stays with it and goes when it goes.
 */
export const ipDecider: Decider<IpCommand, IpState, IpEvent> = {
  initialState: () => ({
    ipId: null, status: null, family: null, accountId: null, regionId: null, floating: false, instanceId: null, reverseDns: null,
  }),

  decide(command, state) {
    if (command.type === 'AllocateIp') {
      if (state.status !== null) return [];
      return [{ type: 'IpAllocated', data: command.allocation }];
    }
    if (state.status === null) throw AppError.notFound('IP address');
    const ipId = state.ipId!;
    if (state.status === 'RELEASED') {
      if (command.type === 'ReleaseIp') return [];
      throw AppError.conflict(`IP address ${ipId} is released`);
    }
    switch (command.type) {
      case 'AssignIp': {
        const { instance } = command;
        if (!state.floating) throw AppError.conflict(`IP address ${ipId} belongs to its instance; only a floating address moves`);
        if (instance.accountId !== state.accountId) throw AppError.notFound('instance');
        if (instance.ended) throw AppError.conflict(`instance ${instance.instanceId} is deleted`);
        if (instance.regionId !== state.regionId) {
          throw AppError.badInput('instanceId', `the instance is in region ${instance.regionId}, the address in ${state.regionId}`);
        }
        if (state.instanceId === instance.instanceId) return [];
        const assigned: IpEvent = { type: 'IpAssigned', data: { ipId, instanceId: instance.instanceId } };
        return state.instanceId ? [{ type: 'IpUnassigned', data: { ipId } }, assigned] : [assigned];
      }
      case 'UnassignIp':
        if (!state.floating) throw AppError.conflict(`IP address ${ipId} belongs to its instance; only a floating address is unassigned`);
        return state.instanceId ? [{ type: 'IpUnassigned', data: { ipId } }] : [];
      case 'ReleaseIp':
        if (!state.floating && !command.bySystem) throw AppError.conflict(`IP address ${ipId} is released with its instance`);
        return [...(state.instanceId && state.floating ? [{ type: 'IpUnassigned' as const, data: { ipId } }] : []), { type: 'IpReleased', data: { ipId } }];
      case 'SetReverseDns':
        if (command.hostname === state.reverseDns) return [];
        return command.hostname === null
          ? [{ type: 'ReverseDnsCleared', data: { ipId } }]
          : [{ type: 'ReverseDnsSet', data: { ipId, hostname: command.hostname } }];
    }
  },

  evolve(state, event) {
    switch (event.type) {
      case 'IpAllocated': {
        const d = event.data;
        return {
          ...state, ipId: d.ipId, status: 'ALLOCATED', family: d.family, accountId: d.accountId, regionId: d.regionId,
          floating: d.floating, instanceId: d.instanceId ?? null,
        };
      }
      case 'IpAssigned':
        return { ...state, instanceId: event.data.instanceId };
      case 'IpUnassigned':
        return { ...state, instanceId: null };
      case 'IpReleased':
        return { ...state, status: 'RELEASED', instanceId: state.floating ? null : state.instanceId };
      case 'ReverseDnsSet':
        return { ...state, reverseDns: event.data.hostname };
      case 'ReverseDnsCleared':
        return { ...state, reverseDns: null };
    }
  },
};
