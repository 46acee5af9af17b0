import { AppError } from '#libs/contracts';
import { monthOf, type Period } from '../rating/rating.js';

/** A second since the epoch as ISO 8601. */
export const iso = (second: number) => new Date(second * 1000).toISOString();

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
