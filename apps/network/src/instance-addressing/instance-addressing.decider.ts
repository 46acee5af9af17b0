import type { InstanceAddress, NetworkEvents } from '#libs/contracts';
import type { Decider, DomainEvent } from '#libs/event-store';

export type InstanceAddressingEvent =
  | DomainEvent<'InstanceAddressesAllocated', NetworkEvents['InstanceAddressesAllocated']>
  | DomainEvent<'InstanceAddressingFailed', NetworkEvents['InstanceAddressingFailed']>;

export type InstanceAddressingCommand =
  | { type: 'RecordAddresses'; instanceId: string; addresses: InstanceAddress[] }
  | { type: 'RecordFailure'; instanceId: string; reason: string };

export interface InstanceAddressingState {
  outcome: 'ADDRESSED' | 'FAILED' | null;
}

export const instanceAddressingStreamId = (instanceId: string) => `instance-${instanceId}`;

/** Network's answer to an instance's request for addresses: given once, addresses or a reason, never both. */
export const instanceAddressingDecider: Decider<InstanceAddressingCommand, InstanceAddressingState, InstanceAddressingEvent> = {
  initialState: () => ({ outcome: null }),
  decide(command, state) {
    if (state.outcome !== null) return [];
    return command.type === 'RecordAddresses'
      ? [{ type: 'InstanceAddressesAllocated', data: { instanceId: command.instanceId, addresses: command.addresses } }]
      : [{ type: 'InstanceAddressingFailed', data: { instanceId: command.instanceId, reason: command.reason } }];
  },
  evolve: (_state, event) => ({ outcome: event.type === 'InstanceAddressesAllocated' ? 'ADDRESSED' : 'FAILED' }),
};
