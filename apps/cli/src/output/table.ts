import type { Money } from '../graphql/operation.js';

/** A column: its header and how a row shows in it. */
export interface Column<Row> {
  header: string;
  value: (row: Row) => string | number | boolean | null | undefined;
  /** Numbers and amounts line up on the right. */
  align?: 'left' | 'right';
}

/** An empty cell: the API's null, shown so a column of blanks stays readable. */
const NONE = '-';

const cellOf = (value: string | number | boolean | null | undefined): string =>
  value === null || value === undefined || value === '' ? NONE : String(value).replace(/\s*[\r\n]+\s*/g, ' ');

/** Terminal columns a string takes: combining marks none, East Asian wide characters two. */
export function displayWidth(text: string): number {
  let width = 0;
  for (const char of text) {
    const code = char.codePointAt(0)!;
    if (/\p{Mn}|\p{Me}|\p{Cf}/u.test(char)) continue;
    width += isWide(code) ? 2 : 1;
  }
  return width;
}

const isWide = (code: number) =>
  (code >= 0x1100 && code <= 0x115f) || (code >= 0x2e80 && code <= 0xa4cf) || (code >= 0xac00 && code <= 0xd7a3) ||
  (code >= 0xf900 && code <= 0xfaff) || (code >= 0xfe30 && code <= 0xfe4f) || (code >= 0xff00 && code <= 0xff60) ||
  (code >= 0xffe0 && code <= 0xffe6) || (code >= 0x1f300 && code <= 0x1faff) || (code >= 0x20000 && code <= 0x3fffd);

/** Rows under their headers, each column as wide as its widest cell, two spaces apart, no trailing blanks. */
export function formatTable<Row>(rows: readonly Row[], columns: readonly Column<Row>[]): string {
  const cells = rows.map((row) => columns.map((column) => cellOf(column.value(row))));
  const widths = columns.map((column, i) => Math.max(displayWidth(column.header), ...cells.map((line) => displayWidth(line[i]))));
  const line = (values: string[]) =>
    values
      .map((value, i) => {
        const pad = ' '.repeat(widths[i] - displayWidth(value));
        return columns[i].align === 'right' ? pad + value : i === values.length - 1 ? value : value + pad;
      })
      .join('  ')
      .trimEnd();
  return [line(columns.map((c) => c.header)), ...cells.map(line)].join('\n') + '\n';
}

/** One thing's fields, a label and its value on each line. */
export function formatFields(fields: readonly [label: string, value: string | number | boolean | null | undefined][]): string {
  const width = Math.max(...fields.map(([label]) => displayWidth(label)));
  return fields.map(([label, value]) => `${label}:${' '.repeat(width - displayWidth(label) + 1)}${cellOf(value)}`).join('\n') + '\n';
}

/** An amount as the API gives it, exactly: its decimal string and currency. */
export const money = (value: Money | null | undefined): string | null => (value ? `${value.amount} ${value.currency}` : null);
