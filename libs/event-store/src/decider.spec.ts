import { deciderSpec } from '#libs/testing';
import { capacityDecider, CapacityExceeded } from '../test/capacity.decider.js';
import { fold } from './decider.js';

const spec = deciderSpec(capacityDecider);
const opened = { type: 'CapacityOpened' as const, data: { poolId: 'p', capacity: 3 } };
const reserved = (amount: number) => ({ type: 'CapacityReserved' as const, data: { poolId: 'p', amount } });

describe('a decider, given/when/then', () => {
  it('decides new facts from the state its history folds into', () => {
    spec.given([opened, reserved(1)]).when({ type: 'ReserveCapacity', poolId: 'p', amount: 2 }).then([reserved(2)]);
  });

  it('refuses by its rule', () => {
    spec.given([opened, reserved(2)]).when({ type: 'ReserveCapacity', poolId: 'p', amount: 2 }).thenThrows(CapacityExceeded);
  });

  it('decides nothing when nothing changes', () => {
    spec.given([opened]).when({ type: 'OpenCapacity', poolId: 'p', capacity: 9 }).then([]);
  });

  it('folds history from the initial state', () => {
    expect(fold(capacityDecider, [])).toEqual({ capacity: 0, reserved: 0, open: false });
    expect(fold(capacityDecider, [opened, reserved(1), reserved(1)])).toEqual({ capacity: 3, reserved: 2, open: true });
  });
});
