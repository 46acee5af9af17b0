import { deciderSpec } from '#libs/testing';
import { planDecider, type PlanEvent } from './plan.decider.js';

const spec = deciderSpec(planDecider);
const naming = (field: string) => new RegExp(`^${field.replace(/[.[\]]/g, '\\$&')}: `);

const eur = { currency: 'EUR', hourlyPrice: '0.0119', monthlyPrice: '8.00' };
const usd = { currency: 'USD', hourlyPrice: '0.013', monthlyPrice: '9' };
const input = { id: 'vm-16g', name: 'VM 16 GB', kind: 'VM', vcpus: 8, memoryMb: 16384, diskGb: 320, prices: [eur] };
const save = (changes: Record<string, unknown> = {}) => ({ type: 'SavePlan' as const, input: { ...input, ...changes } });
const saved = (changes: Record<string, unknown> = {}): PlanEvent => ({
  type: 'PlanSaved',
  data: { planId: 'vm-16g', name: 'VM 16 GB', kind: 'VM', vcpus: 8, memoryMb: 16384, diskGb: 320, prices: [eur], ...changes },
});
const retired: PlanEvent = { type: 'PlanRetired', data: { planId: 'vm-16g' } };
/** A seeded plan, recorded when the catalog became events: billing has its prices. */
const recorded: PlanEvent = { type: 'PlanRecorded', data: { planId: 'vm-16g', name: 'VM 16 GB', kind: 'VM', vcpus: 8, memoryMb: 16384, diskGb: 320 } };

describe('a plan', () => {
  it('is saved with its prices, each decimal in its one written form', () => {
    spec.given([]).when(save({ prices: [eur, usd] })).then([saved({ prices: [eur, { currency: 'USD', hourlyPrice: '0.013', monthlyPrice: '9.00' }] })]);
  });

  it('takes a new name or new prices, and saving the same again records nothing', () => {
    spec.given([saved()]).when(save({ name: 'VM 16 GB (large)' })).then([saved({ name: 'VM 16 GB (large)' })]);
    spec.given([saved()]).when(save({ prices: [{ ...eur, hourlyPrice: '0.02' }] })).then([saved({ prices: [{ ...eur, hourlyPrice: '0.02' }] })]);
    spec.given([saved()]).when(save({ prices: [{ ...eur, monthlyPrice: '8.0000' }] })).then([]);
    spec.given([recorded]).when(save()).then([saved()]);
  });

  it('never changes its kind or size: another size is a new plan (CONFLICT)', () => {
    for (const change of [{ memoryMb: 32768 }, { vcpus: 4 }, { diskGb: 640 }, { kind: 'CONTAINER' }]) {
      spec.given([saved()]).when(save(change)).thenThrows(/a plan's size never changes, save a new plan/);
      spec.given([recorded]).when(save(change)).thenThrows(/a plan's size never changes/);
    }
  });

  it('has positive, bounded sizes', () => {
    for (const [field, values] of [['vcpus', [0, -1, 1.5, 257, '2']], ['memoryMb', [0, 4 * 1024 * 1024 + 1]], ['diskGb', [0, 65537, null]]] as const) {
      for (const value of values) spec.given([]).when(save({ [field]: value })).thenThrows(naming(`input.${field}`));
    }
  });

  it('is priced in at least one ISO 4217 currency, once each, a month never below an hour', () => {
    spec.given([]).when(save({ prices: [] })).thenThrows(naming('input.prices'));
    spec.given([]).when(save({ prices: null })).thenThrows(naming('input.prices'));
    for (const currency of ['QQQ', 'eur', 'EURO', '']) spec.given([]).when(save({ prices: [{ ...eur, currency }] })).thenThrows(naming('input.prices[0].currency'));
    spec.given([]).when(save({ prices: [eur, usd, eur] })).thenThrows(naming('input.prices[2].currency'));
    for (const hourlyPrice of ['-1', '1e3', '0.12345678901', 'abc']) spec.given([]).when(save({ prices: [usd, { ...eur, hourlyPrice }] })).thenThrows(naming('input.prices[1].hourlyPrice'));
    spec.given([]).when(save({ prices: [{ ...eur, hourlyPrice: '9.00', monthlyPrice: '8.99' }] })).thenThrows(naming('input.prices[0].monthlyPrice'));
  });

  it('has an id billing can use as its sku, and not the floating IPv4 one', () => {
    for (const id of ['VM-16G', '../x', '-x', 'a'.repeat(64), 'ipv4']) spec.given([]).when(save({ id })).thenThrows(naming('input.id'));
  });

  it('is retired once and for good: it stays with its instances, and is not saved again', () => {
    spec.given([saved()]).when({ type: 'RetirePlan', planId: 'vm-16g' }).then([retired]);
    spec.given([saved(), retired]).when({ type: 'RetirePlan', planId: 'vm-16g' }).then([]);
    spec.given([saved(), retired]).when(save()).thenThrows('plan vm-16g is retired: save a new plan');
    spec.given([]).when({ type: 'RetirePlan', planId: 'vm-16g' }).thenThrows('plan vm-16g not found');
  });
});
