import { displayWidth, formatFields, formatTable, money, type Column } from './table.js';

interface Row {
  id: string;
  name: string | null;
  total: string;
}

const columns: Column<Row>[] = [
  { header: 'ID', value: (r) => r.id },
  { header: 'NAME', value: (r) => r.name },
  { header: 'TOTAL', value: (r) => r.total, align: 'right' },
];

describe('tables', () => {
  it('aligns each column to its widest cell, two spaces apart, amounts on the right', () => {
    const table = formatTable([{ id: 'a1', name: 'web', total: '12.00' }, { id: 'b', name: 'database-1', total: '0.5' }], columns);
    expect(table).toBe(['ID  NAME        TOTAL', 'a1  web         12.00', 'b   database-1    0.5', ''].join('\n'));
  });

  it('shows a missing value as "-", keeps each row on one line, and leaves no trailing blanks', () => {
    const table = formatTable<Row>([{ id: 'x', name: null, total: '' }, { id: 'y', name: 'two\nlines', total: '1' }], [columns[0], columns[1]]);
    expect(table.split('\n')).toEqual(['ID  NAME', 'x   -', 'y   two lines', '']);
  });

  it('has its header alone when there are no rows', () => {
    expect(formatTable([], columns)).toBe('ID  NAME  TOTAL\n');
  });

  it('counts wide characters twice and combining marks not at all, so non-ASCII names still line up', () => {
    expect(displayWidth('東京')).toBe(4);
    expect(displayWidth('e\u0301')).toBe(1); // e and a combining acute
    const table = formatTable([{ id: '1', name: '東京', total: '1' }, { id: '2', name: 'Paris', total: '2' }], columns);
    expect(table.split('\n').slice(1, 3)).toEqual(['1   東京       1', '2   Paris      2']);
  });

  it('lays out one thing\'s fields under each other', () => {
    expect(formatFields([['ID', 'abc'], ['Status', 'RUNNING'], ['Host', null]])).toBe('ID:     abc\nStatus: RUNNING\nHost:   -\n');
  });

  it('shows money as the API\'s exact decimal string and its currency', () => {
    expect(money({ amount: '0.0030', currency: 'EUR' })).toBe('0.0030 EUR');
    expect(money(null)).toBeNull();
  });
});
