import { AppError, type Page } from '#libs/contracts';

/** `first` as the API takes it: 20 when absent, 1 to 100 otherwise. */
export function pageSize(first: unknown): number {
  if (first === undefined || first === null) return 20;
  if (!Number.isInteger(first) || (first as number) < 1 || (first as number) > 100) throw AppError.badInput('first', 'must be 1 to 100');
  return first as number;
}

/** Cursors are opaque to clients: a position in a stable order, base64url-encoded with its kind. */
export function encodeCursor(kind: string, position: number | string): string {
  return Buffer.from(`${kind}:${position}`).toString('base64url');
}

/** The position in a cursor of list `kind`, 0 for none; one past `max` (the largest its list has) is no cursor of it. */
export function decodeCursor(kind: string, cursor: unknown, max = Number.MAX_SAFE_INTEGER): number {
  if (cursor === undefined || cursor === null) return 0;
  const [prefix, position] = typeof cursor === 'string' ? Buffer.from(cursor, 'base64url').toString().split(':') : [];
  if (prefix !== kind || !/^\d{1,16}$/.test(position ?? '') || Number(position) > max) throw AppError.badInput('after', 'is not a cursor of this list');
  return Number(position);
}

/** Builds a page from up to `size + 1` rows fetched past the cursor: the extra row only says there is more. */
export function toPage<Row, T>(rows: Row[], size: number, cursorOf: (row: Row) => string, nodeOf: (row: Row) => T): Page<T> {
  const edges = rows.slice(0, size).map((row) => ({ cursor: cursorOf(row), node: nodeOf(row) }));
  return { edges, pageInfo: { hasNextPage: rows.length > size, endCursor: edges.at(-1)?.cursor ?? null } };
}
