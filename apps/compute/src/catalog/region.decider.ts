import { AppError, type CatalogEvents } from '#libs/contracts';
import type { Decider, DomainEvent } from '#libs/event-store';
import * as input from './catalog-input.js';

export type RegionEvent = DomainEvent<'RegionCreated', CatalogEvents['RegionCreated']>;

export type RegionCommand = { type: 'CreateRegion'; input: { id?: unknown; name?: unknown; dnsZone?: unknown } };

export interface RegionState {
  created: boolean;
}

export const regionStreamId = (regionId: string) => `region-${regionId}`;

/** A region: its id names subjects and DNS names (`<instance>.<region>.<dnsZone>`), so it is made once and kept. */
export const regionDecider: Decider<RegionCommand, RegionState, RegionEvent> = {
  initialState: () => ({ created: false }),

  decide(command, state) {
    const regionId = input.regionId(command.input.id);
    const name = input.text(command.input.name, 'input.name');
    const dnsZone = input.dnsZone(command.input.dnsZone);
    if (state.created) throw AppError.conflict(`region ${regionId} exists already`);
    return [{ type: 'RegionCreated', data: { regionId, name, dnsZone } }];
  },

  evolve(state, event) {
    return event.type === 'RegionCreated' ? { ...state, created: true } : state;
  },
};
