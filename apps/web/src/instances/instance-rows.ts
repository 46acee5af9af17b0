/**
 * The instances page's list as plain functions: pages of the API's connection merged in order, live
 * status updates applied (also to rows of pages still on their way), and which rows of a windowed
 * list are on screen.
 */

export interface StatusUpdate {
  id: string;
  status: string;
}

export interface ListedRow {
  id: string;
  status: string;
}

/** The rows so far and the updates seen for ids not (yet) among them, newest last. */
export interface RowsState<Row extends ListedRow> {
  rows: Row[];
  /** Updates of ids not listed yet: a page still to come may hold them with an older status. */
  pending: Map<string, string>;
}

/** A page appended after the rows so far, each row at its newest status; DELETED ones left out. */
export function withPage<Row extends ListedRow>(state: RowsState<Row>, page: Row[]): RowsState<Row> {
  const known = new Set(state.rows.map((row) => row.id));
  const pending = new Map(state.pending);
  const added: Row[] = [];
  for (const row of page) {
    if (known.has(row.id)) continue; // listed already (fetched on its own from an update)
    const status = pending.get(row.id) ?? row.status;
    pending.delete(row.id);
    if (status !== 'DELETED') added.push(status === row.status ? row : { ...row, status });
  }
  return { rows: [...state.rows, ...added], pending };
}

/**
 * An update applied: a listed row takes its status (and leaves the list once DELETED); an id not
 * listed is kept for the pages to come and said to be `unknown`, for the page to fetch once they all came.
 */
export function withUpdate<Row extends ListedRow>(state: RowsState<Row>, update: StatusUpdate): { state: RowsState<Row>; unknown: boolean } {
  const at = state.rows.findIndex((row) => row.id === update.id);
  if (at < 0) return { state: { rows: state.rows, pending: new Map(state.pending).set(update.id, update.status) }, unknown: update.status !== 'DELETED' };
  const rows = update.status === 'DELETED'
    ? [...state.rows.slice(0, at), ...state.rows.slice(at + 1)]
    : state.rows.map((row, i) => (i === at ? { ...row, status: update.status } : row));
  return { state: { rows, pending: state.pending }, unknown: false };
}

/**
 * The rows to render of `count` rows `rowHeight` px apart whose list starts `listTop` px from the top
 * of a viewport `viewportHeight` px high (negative: scrolled past its start): those on screen and
 * `overscan` more either side, as [start, end).
 */
export function visibleRange(count: number, rowHeight: number, listTop: number, viewportHeight: number, overscan: number): [number, number] {
  const first = Math.floor(-listTop / rowHeight);
  const last = Math.ceil((viewportHeight - listTop) / rowHeight);
  return [Math.max(0, Math.min(count, first - overscan)), Math.max(0, Math.min(count, last + overscan))];
}
