import { deciderSpec } from '#libs/testing';
import { accountStandingDecider, type AccountStandingEvent } from './account-standing.decider.js';

const accountId = 'acct-1';
const failed = (invoiceId: string): AccountStandingEvent => ({ type: 'InvoicePaymentFailed', data: { accountId, invoiceId, reason: 'card declined' } });
const pastDue = (invoiceId: string) => ({ type: 'AccountPastDue', data: { accountId, invoiceId }, occurredAt: '2026-10-05T00:00:00.000Z' }) as AccountStandingEvent;
const suspended: AccountStandingEvent = { type: 'AccountSuspended', data: { accountId } };
const settled = (invoiceId: string): AccountStandingEvent => ({ type: 'InvoiceSettled', data: { accountId, invoiceId } });
const spec = deciderSpec(accountStandingDecider);
const WEEK = 7 * 24 * 3600;

describe('account standing (dunning)', () => {
  it('makes an account PAST_DUE on its first failed payment, and only then', () => {
    const failure = { type: 'RecordPaymentFailure' as const, accountId, invoiceId: 'i1', reason: 'card declined' };
    spec.given([]).when(failure).then([failed('i1'), { type: 'AccountPastDue', data: { accountId, invoiceId: 'i1' } }]);
    spec.given([failed('i1'), pastDue('i1')]).when(failure).then([]);
    spec.given([failed('i1'), pastDue('i1')]).when({ ...failure, invoiceId: 'i2' }).then([failed('i2')]);
  });

  it('suspends an account still unpaid after the grace period', () => {
    const suspend = (now: string) => ({ type: 'SuspendIfOverdue' as const, accountId, now: new Date(now), graceSeconds: WEEK });
    spec.given([failed('i1'), pastDue('i1')]).when(suspend('2026-10-11T23:59:59Z')).then([]);
    spec.given([failed('i1'), pastDue('i1')]).when(suspend('2026-10-12T00:00:00Z')).then([suspended]);
    spec.given([failed('i1'), pastDue('i1'), suspended]).when(suspend('2026-10-20T00:00:00Z')).then([]);
    spec.given([]).when(suspend('2026-10-20T00:00:00Z')).then([]);
  });

  it('reinstates the account once its last failed invoice is paid or voided', () => {
    const settle = (invoiceId: string) => ({ type: 'SettleInvoice' as const, accountId, invoiceId });
    spec.given([failed('i1'), pastDue('i1'), failed('i2'), suspended]).when(settle('i1')).then([settled('i1')]);
    spec.given([failed('i1'), pastDue('i1'), failed('i2'), suspended, settled('i1')]).when(settle('i2'))
      .then([settled('i2'), { type: 'AccountReinstated', data: { accountId } }]);
    spec.given([failed('i1'), pastDue('i1')]).when(settle('other')).then([]);
  });
});
