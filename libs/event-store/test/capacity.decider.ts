import type { Decider, DomainEvent, Projection } from '#libs/event-store';

/**
 * A small aggregate for the event store's own tests and benchmark: a pool of capacity that
 * reservations may not exceed. The rule makes a retried command's outcome depend on the new state.
 */
export type CapacityEvent =
  | DomainEvent<'CapacityOpened', { poolId: string; capacity: number }>
  | DomainEvent<'CapacityReserved', { poolId: string; amount: number }>;

export type CapacityCommand =
  | { type: 'OpenCapacity'; poolId: string; capacity: number }
  | { type: 'ReserveCapacity'; poolId: string; amount: number };

export interface CapacityState {
  capacity: number;
  reserved: number;
  open: boolean;
}

export class CapacityExceeded extends Error {}

export const capacityDecider: Decider<CapacityCommand, CapacityState, CapacityEvent> = {
  initialState: () => ({ capacity: 0, reserved: 0, open: false }),
  decide(command, state) {
    switch (command.type) {
      case 'OpenCapacity':
        if (state.open) return [];
        return [{ type: 'CapacityOpened', data: { poolId: command.poolId, capacity: command.capacity } }];
      case 'ReserveCapacity':
        if (state.reserved + command.amount > state.capacity) {
          throw new CapacityExceeded(`pool ${command.poolId}: ${state.reserved} of ${state.capacity} reserved`);
        }
        return [{ type: 'CapacityReserved', data: { poolId: command.poolId, amount: command.amount } }];
    }
  },
  evolve(state, event) {
    switch (event.type) {
      case 'CapacityOpened':
        return { ...state, open: true, capacity: event.data.capacity };
      case 'CapacityReserved':
        return { ...state, reserved: state.reserved + event.data.amount };
    }
  },
};

/** Reserved capacity per pool, kept inline with the appends. */
export const capacityTotalsProjection: Projection = {
  name: 'capacity_totals',
  eventTypes: ['CapacityOpened', 'CapacityReserved'],
  async apply(tx, event) {
    const data = event.data as { poolId: string; capacity?: number; amount?: number };
    if (event.type === 'CapacityOpened') {
      await tx.query('INSERT INTO capacity_totals (pool_id, capacity, reserved, version) VALUES ($1, $2, 0, $3)', [
        data.poolId,
        data.capacity,
        event.version,
      ]);
    } else {
      await tx.query('UPDATE capacity_totals SET reserved = reserved + $2, version = $3 WHERE pool_id = $1', [
        data.poolId,
        data.amount,
        event.version,
      ]);
    }
  },
  async clear(tx) {
    await tx.query('DELETE FROM capacity_totals');
  },
};

export const capacityMigrations = [
  {
    id: '1000-capacity-totals',
    sql: 'CREATE TABLE capacity_totals (pool_id text PRIMARY KEY, capacity integer NOT NULL, reserved integer NOT NULL, version integer NOT NULL)',
  },
];
