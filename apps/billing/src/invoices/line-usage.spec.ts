import type { InvoiceLineView, UsageView } from '#libs/contracts';
import { packUsage, unpackUsage } from './line-usage.js';

const usage = (over: Partial<UsageView> = {}): UsageView => ({
  segmentId: 'seg-1', resourceId: 'res-1', sku: 'ct-1g', state: 'RUNNING', startedAt: '2026-09-01T00:00:00.000Z', endedAt: '2026-09-02T00:00:00.000Z',
  seconds: 86_400, openedBy: 'seg-1', closedBy: 'evt-2', ...over,
});
const line = (items: UsageView[]): Pick<InvoiceLineView, 'sku' | 'resourceId' | 'usage'> => ({ sku: 'ct-1g', resourceId: 'res-1', usage: items });

describe('a line\'s packed usage', () => {
  it('keeps a tuple per segment without what the line already says', () => {
    const open = usage({ segmentId: 'seg-2', openedBy: 'seg-2', state: 'STOPPED', endedAt: null, closedBy: null, seconds: 0 });
    expect(packUsage(line([usage(), open]))).toEqual([
      ['seg-1', 'RUNNING', '2026-09-01T00:00:00.000Z', '2026-09-02T00:00:00.000Z', 86_400, 'evt-2'],
      ['seg-2', 'STOPPED', '2026-09-01T00:00:00.000Z', null, 0, null],
    ]);
  });

  it('keeps what differs from the line, and unpacks to the same usage', () => {
    const items = [usage(), usage({ openedBy: 'evt-1' }), usage({ sku: 'ct-2g' }), usage({ resourceId: 'res-2' }), usage({ openedBy: 'evt-1', resourceId: 'res-2' })];
    const packed = packUsage(line(items));
    expect(packed.map((tuple) => tuple.slice(6))).toEqual([[], ['evt-1'], [null, 'ct-2g'], [null, null, 'res-2'], ['evt-1', null, 'res-2']]);
    expect(unpackUsage(line([]), JSON.parse(JSON.stringify(packed)))).toEqual(items);
  });

  it('is empty for a cap or an adjustment without usage', () => {
    expect(packUsage(line([]))).toEqual([]);
    expect(unpackUsage(line([]), [])).toEqual([]);
  });
});
