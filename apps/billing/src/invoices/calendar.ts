import { AppError } from '#libs/contracts';
import { monthOf, type Period } from '../rating/rating.js';

const DAY = 86_400;
/** Each day's `2026-09-14T`, made once: an invoice formats two instants for every segment it rates. */
const dayTexts = new Map<number, string>();
const twoDigits = (n: number) => (n < 10 ? `0${n}` : `${n}`);

/** A second since the epoch as ISO 8601, as Date's toISOString writes it (a fraction of a second too, where there is one). */
export function iso(second: number): string {
  if (!Number.isInteger(second)) return new Date(second * 1000).toISOString();
  const day = Math.floor(second / DAY);
  let date = dayTexts.get(day);
  if (date === undefined) {
    if (dayTexts.size >= 4096) dayTexts.clear();
    date = new Date(day * DAY * 1000).toISOString().slice(0, 11);
    dayTexts.set(day, date);
  }
  const time = second - day * DAY;
  return `${date}${twoDigits(Math.floor(time / 3600))}:${twoDigits(Math.floor(time / 60) % 60)}:${twoDigits(time % 60)}.000Z`;
}

export const nowSecond = () => Math.floor(Date.now() / 1000);

/** A period read from the invoices' timestamps. */
export const periodOf = (start: Date, end: Date): Period => ({ start: start.getTime() / 1000, end: end.getTime() / 1000 });

const MONTH = /^(\d{4})-(\d{2})$/;

/** `2026-10` as its calendar month in UTC. */
export function parseMonth(value: unknown, field: string): Period {
  const match = typeof value === 'string' ? MONTH.exec(value) : null;
  const month = match ? Number(match[2]) : 0;
  if (!match || month < 1 || month > 12) throw AppError.badInput(field, 'must be a month as YYYY-MM');
  return monthOf(Date.UTC(Number(match[1]), month - 1, 1) / 1000);
}
