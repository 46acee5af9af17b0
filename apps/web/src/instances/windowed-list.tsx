import { useCallback, useEffect, useLayoutEffect, useRef, useState, type KeyboardEvent, type ReactNode } from 'react';
import { visibleRange } from './instance-rows.js';

/** Rows rendered beyond each edge of the screen: Tab reaches the next one before it is needed. */
const OVERSCAN = 6;

interface WindowedListProps<Item> {
  items: Item[];
  /** Each row's height with the space under it, in px: every row the same, so none is measured. */
  rowHeight: number;
  label: string;
  className: string;
  rowClassName: string;
  keyOf: (item: Item) => string;
  /** A row's content; its first link is what the keys move between. */
  renderRow: (item: Item) => ReactNode;
}

/**
 * A list of many rows in the page's own scroll with only those near the screen in the DOM (space
 * stands for the others), so 1,000 rows cost what 20 do. It stays a list to screen readers (each row
 * says its place of how many) and to the keyboard: Tab walks the links as rendered, the arrows,
 * Page Up/Down, Home and End move between rows, rendering the one reached first.
 */
export function WindowedList<Item>({ items, rowHeight, label, className, rowClassName, keyOf, renderRow }: WindowedListProps<Item>) {
  const list = useRef<HTMLUListElement>(null);
  const [[start, end], setRange] = useState<[number, number]>([0, Math.min(items.length, 20)]);
  /** The row a key moved to, focused once it is rendered. */
  const focusNext = useRef<number | null>(null);

  const measure = useCallback(() => {
    if (!list.current) return;
    const range = visibleRange(items.length, rowHeight, list.current.getBoundingClientRect().top, window.innerHeight, OVERSCAN);
    setRange((current) => (current[0] === range[0] && current[1] === range[1] ? current : range));
  }, [items.length, rowHeight]);

  useLayoutEffect(measure, [measure]);
  useEffect(() => {
    window.addEventListener('scroll', measure, { passive: true });
    window.addEventListener('resize', measure);
    return () => {
      window.removeEventListener('scroll', measure);
      window.removeEventListener('resize', measure);
    };
  }, [measure]);

  const linkAt = (index: number) => list.current?.querySelector<HTMLElement>(`[data-index="${index}"] a`) ?? null;
  useEffect(() => {
    if (focusNext.current === null) return;
    const link = linkAt(focusNext.current);
    if (link) {
      focusNext.current = null;
      link.focus({ preventScroll: true });
    }
  });

  const onKeyDown = (event: KeyboardEvent<HTMLUListElement>) => {
    const row = (event.target as HTMLElement).closest('[data-index]');
    if (!row || event.altKey || event.ctrlKey || event.metaKey) return;
    const index = Number(row.getAttribute('data-index'));
    const page = Math.max(1, Math.floor(window.innerHeight / rowHeight) - 1);
    const moves: Record<string, number> = { ArrowDown: index + 1, ArrowUp: index - 1, PageDown: index + page, PageUp: index - page, Home: 0, End: items.length - 1 };
    if (!(event.key in moves)) return;
    event.preventDefault();
    const to = Math.max(0, Math.min(items.length - 1, moves[event.key]));
    // Scrolled just enough for the row to be on screen, then focused once rendered.
    const top = list.current!.getBoundingClientRect().top + window.scrollY + to * rowHeight;
    if (top < window.scrollY) window.scrollTo({ top });
    else if (top + rowHeight > window.scrollY + window.innerHeight) window.scrollTo({ top: top + rowHeight - window.innerHeight });
    const link = linkAt(to);
    if (link) link.focus({ preventScroll: true });
    else {
      focusNext.current = to;
      measure();
    }
  };

  return (
    <ul ref={list} className={className} aria-label={label} onKeyDown={onKeyDown} style={{ paddingTop: start * rowHeight, paddingBottom: (items.length - end) * rowHeight }}>
      {items.slice(start, end).map((item, i) => (
        <li key={keyOf(item)} className={rowClassName} data-index={start + i} aria-posinset={start + i + 1} aria-setsize={items.length}>
          {renderRow(item)}
        </li>
      ))}
    </ul>
  );
}
