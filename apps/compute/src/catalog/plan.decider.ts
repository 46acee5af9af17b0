import { AppError, type CatalogEvents, FLOATING_IPV4_SKU, type PlanPrice, type SavePlanInput } from '#libs/contracts';
import type { Decider, DomainEvent } from '#libs/event-store';
import * as input from './catalog-input.js';

type PlanSize = Pick<CatalogEvents['PlanSaved'], 'kind' | 'vcpus' | 'memoryMb' | 'diskGb'>;

export type PlanEvent =
  | DomainEvent<'PlanSaved', CatalogEvents['PlanSaved']>
  /**
   * A plan of the catalog from before plans carried their prices (migration 0104): its prices
   * are billing's as they were, so it names none.
   */
  | DomainEvent<'PlanRecorded', { planId: string; name: string } & PlanSize>
  | DomainEvent<'PlanRetired', CatalogEvents['PlanRetired']>;

export type PlanCommand =
  | { type: 'SavePlan'; input: Partial<Record<keyof SavePlanInput, unknown>> }
  | { type: 'RetirePlan'; planId: string };

export interface PlanState {
  plan: ({ name: string; prices: PlanPrice[] } & PlanSize) | null;
  retired: boolean;
}

export const planStreamId = (planId: string) => `plan-${planId}`;

const sizeOf = (plan: PlanSize) => `${plan.kind} ${plan.vcpus} vCPU, ${plan.memoryMb} MB, ${plan.diskGb} GB`;
const samePrices = (a: PlanPrice[], b: PlanPrice[]) => JSON.stringify(a) === JSON.stringify(b);

/**
 * A plan: what instances are sized by and billing prices. Its kind and size never change, as
 * instances and invoices refer to it: another size is a new plan. Its name and prices may.
 * Retired, it stays with the instances made from it and is offered for no new one, for good.
 */
export const planDecider: Decider<PlanCommand, PlanState, PlanEvent> = {
  initialState: () => ({ plan: null, retired: false }),

  decide(command, state) {
    if (command.type === 'RetirePlan') {
      if (!state.plan) throw AppError.notFound(`plan ${command.planId}`);
      return state.retired ? [] : [{ type: 'PlanRetired', data: { planId: command.planId } }];
    }
    const planId = input.catalogId(command.input.id);
    if (planId === FLOATING_IPV4_SKU) throw AppError.badInput('input.id', `${FLOATING_IPV4_SKU} is the price list's floating IPv4 address, not a plan`);
    const saved: CatalogEvents['PlanSaved'] = {
      planId,
      name: input.text(command.input.name, 'input.name'),
      kind: input.kind(command.input.kind),
      vcpus: input.size(command.input.vcpus, 'vcpus'),
      memoryMb: input.size(command.input.memoryMb, 'memoryMb'),
      diskGb: input.size(command.input.diskGb, 'diskGb'),
      prices: input.prices(command.input.prices),
    };
    const { plan } = state;
    if (plan && sizeOf(plan) !== sizeOf(saved)) {
      throw AppError.conflict(`plan ${planId} is ${sizeOf(plan)}: a plan's size never changes, save a new plan`);
    }
    if (state.retired) throw AppError.conflict(`plan ${planId} is retired: save a new plan`);
    if (plan && plan.name === saved.name && samePrices(plan.prices, saved.prices)) return [];
    return [{ type: 'PlanSaved', data: saved }];
  },

  evolve(state, event) {
    switch (event.type) {
      case 'PlanSaved': {
        const { planId: _id, ...plan } = event.data;
        return { ...state, plan };
      }
      case 'PlanRecorded': {
        const { planId: _id, ...plan } = event.data;
        return { ...state, plan: { ...plan, prices: [] } };
      }
      case 'PlanRetired':
        return { ...state, retired: true };
    }
  },
};
