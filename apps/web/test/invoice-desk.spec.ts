import { chosenInvoices, deskOptions, duration, invoiceActions, monthName, segmentEvents, type InvoiceSummary } from '../src/billing/invoice-desk.js';

const ana = { id: 'acct-ana', name: "Ana's shop" };
const bo = { id: 'acct-bo', name: 'Bo Hosting' };
const invoice = (id: string, periodStart: string, status: InvoiceSummary['status'], account = ana): InvoiceSummary => ({ id, periodStart, status, account });

describe('the invoice desk', () => {
  const invoices = [
    invoice('feb-ana', '2026-02-01T00:00:00.000Z', 'PAID'),
    invoice('mar-bo', '2026-03-01T00:00:00.000Z', 'DRAFT', bo),
    invoice('mar-ana', '2026-03-01T00:00:00.000Z', 'DRAFT'),
    invoice('feb-bo', '2026-02-01T00:00:00.000Z', 'VOID', bo),
  ];

  it('shows a month, a status and an account as chosen, the latest month first, then by account', () => {
    expect(chosenInvoices(invoices, { month: '', status: '', accountId: '' }).map((i) => i.id)).toEqual(['mar-ana', 'mar-bo', 'feb-ana', 'feb-bo']);
    expect(chosenInvoices(invoices, { month: '2026-02', status: '', accountId: '' }).map((i) => i.id)).toEqual(['feb-ana', 'feb-bo']);
    expect(chosenInvoices(invoices, { month: '', status: 'DRAFT', accountId: 'acct-bo' }).map((i) => i.id)).toEqual(['mar-bo']);
    expect(chosenInvoices(invoices, { month: '2026-02', status: 'DRAFT', accountId: '' })).toEqual([]);
  });

  it('offers the months and accounts that have invoices', () => {
    expect(deskOptions(invoices)).toEqual({ months: ['2026-03', '2026-02'], accounts: [ana, bo] });
    expect(monthName('2026-03')).toBe('March 2026');
    expect(monthName('2025-12')).toBe('December 2025');
  });

  it("offers finance only what billing allows in the invoice's status", () => {
    expect(invoiceActions('DRAFT')).toEqual(['finalize', 'void']);
    expect(invoiceActions('FINALIZED')).toEqual(['markPaid', 'creditNote', 'void']);
    expect(invoiceActions('PAID')).toEqual(['creditNote']);
    expect(invoiceActions('VOID')).toEqual([]);
  });

  it('says how long a segment lasted in words', () => {
    expect(duration(10 * 86_400)).toBe('10 d 0 h');
    expect(duration(3 * 3600 + 20 * 60 + 5)).toBe('3 h 20 min');
    expect(duration(125)).toBe('2 min 5 s');
    expect(duration(45)).toBe('45 s');
  });

  it("finds the events that opened and closed a segment in the instance's history, at their seconds", () => {
    const history = [
      { id: 'e1', type: 'InstanceRequested', occurredAt: '2026-03-02T10:00:00.100Z' },
      { id: 'e2', type: 'InstanceStarted', occurredAt: '2026-03-02T10:00:30.900Z' },
      // Same second as the start, but no boundary of billing's.
      { id: 'e3', type: 'InstanceIpAssigned', occurredAt: '2026-03-02T10:00:30.950Z' },
      { id: 'e4', type: 'InstanceStopped', occurredAt: '2026-03-05T08:00:00.000Z' },
      { id: 'e5', type: 'InstanceDeleted', occurredAt: '2026-03-06T08:00:00.000Z' },
    ];
    expect(segmentEvents({ startedAt: '2026-03-02T10:00:30.000Z', endedAt: '2026-03-05T08:00:00.000Z' }, history))
      .toEqual({ opened: [history[1]], closed: [history[3]] });
    expect(segmentEvents({ startedAt: '2026-03-05T08:00:00.000Z', endedAt: null }, history)).toEqual({ opened: [history[3]], closed: [] });
    // A history that has no event there (another resource's segment, or one past its page): nothing is made up.
    expect(segmentEvents({ startedAt: '2026-03-01T00:00:00.000Z', endedAt: '2026-03-01T01:00:00.000Z' }, history)).toEqual({ opened: [], closed: [] });
  });
});
