import { visibleRange, withPage, withUpdate, type RowsState } from '../src/instances/instance-rows.js';

const row = (id: string, status = 'RUNNING') => ({ id, status });
const empty = (): RowsState<{ id: string; status: string }> => ({ rows: [], pending: new Map() });

describe("the instances page's list", () => {
  it('appends pages in order and leaves out what is DELETED', () => {
    const state = withPage(withPage(empty(), [row('a'), row('b')]), [row('c'), row('d', 'DELETED')]);
    expect(state.rows.map((r) => r.id)).toEqual(['a', 'b', 'c']);
  });

  it('gives a listed row its new status, and drops it once DELETED', () => {
    const state = withPage(empty(), [row('a'), row('b')]);
    const stopped = withUpdate(state, { id: 'b', status: 'STOPPING' });
    expect(stopped).toMatchObject({ unknown: false, state: { rows: [row('a'), row('b', 'STOPPING')] } });
    expect(withUpdate(stopped.state, { id: 'a', status: 'DELETED' }).state.rows).toEqual([row('b', 'STOPPING')]);
  });

  it('keeps an update of a row of a page still to come, and applies it when the page comes with an older status', () => {
    const state = withPage(empty(), [row('a')]);
    const early = withUpdate(state, { id: 'z', status: 'STOPPED' });
    expect(early.unknown).toBe(true);
    expect(withPage(early.state, [row('y'), row('z', 'RUNNING')]).rows).toEqual([row('a'), row('y'), row('z', 'STOPPED')]);
    // One deleted before its page came never shows.
    const gone = withUpdate(state, { id: 'z', status: 'DELETED' });
    expect(gone.unknown).toBe(false);
    expect(withPage(gone.state, [row('z')]).rows).toEqual([row('a')]);
  });

  it('lists a row once, though a page brings one fetched on its own already', () => {
    expect(withPage(withPage(empty(), [row('n')]), [row('n', 'STARTING')]).rows).toEqual([row('n')]);
  });

  it('renders the rows on screen and a few more either side', () => {
    // 1,000 rows 100 px apart, a screen of 800 px: at the top, rows 0 to 7 and 2 more.
    expect(visibleRange(1000, 100, 0, 800, 2)).toEqual([0, 10]);
    // The list starting below a 150 px header: fewer rows fit.
    expect(visibleRange(1000, 100, 150, 800, 0)).toEqual([0, 7]);
    // Scrolled 50,000 px into it.
    expect(visibleRange(1000, 100, -50_000, 800, 2)).toEqual([498, 510]);
    // At the end, never past the last.
    expect(visibleRange(1000, 100, -99_500, 800, 2)).toEqual([993, 1000]);
    expect(visibleRange(0, 100, 0, 800, 2)).toEqual([0, 0]);
  });
});
