import type { SessionSettings, Sql } from '#libs/event-store';

/*
 * An account's floating addresses and its firewalls are counted by PostgreSQL at each commit that
 * adds one (migrations 0261 and 0242): a deferred constraint trigger takes the account's lock for
 * the commit alone, counts what is committed, and refuses past the limit that network's session
 * settings give. One account's parallel creates (Terraform's) wait on each other for a commit, not
 * for every statement of theirs. A session without the settings (an operator's psql) counts nothing.
 */

/** The SQLSTATE of such a refusal; its detail is the count, the refused one among it. */
const LIMIT_PASSED = 'AWQ01';

/** What the account holds without the one refused, where `error` is such a refusal; else null. */
export function heldAtLimit(error: unknown): number | null {
  const { code, detail } = (error ?? {}) as { code?: string; detail?: string };
  return code === LIMIT_PASSED ? Number(detail) - 1 : null;
}

/** For a rebuild's transaction: what it replays was made within the limit of its day, not counted against today's. */
export async function uncounted(tx: Sql, setting: keyof SessionSettings): Promise<void> {
  await tx.query("SELECT set_config($1, '', true)", [setting]);
}
