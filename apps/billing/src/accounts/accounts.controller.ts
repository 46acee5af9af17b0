import { Controller, Inject } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import type pg from 'pg';
import { AppError, type Caller } from '#libs/contracts';
import { inScope, scopeOf } from '#libs/messaging';
import { PG_POOL } from '#libs/event-sourcing';

export interface AccountStandingView {
  accountId: string;
  status: 'ACTIVE' | 'PAST_DUE' | 'SUSPENDED';
  pastDueSince: string | null;
}

/** `billing.account.standing`: the dunning status of several accounts at once, for the gateway's Account.status. */
@Controller()
export class AccountsController {
  constructor(@Inject(PG_POOL) private readonly pool: pg.Pool) {}

  @MessagePattern('billing.account.standing')
  async standing(@Payload() payload: Caller & { ids: string[] }): Promise<AccountStandingView[]> {
    const ids = payload?.ids;
    if (!Array.isArray(ids) || ids.some((id) => typeof id !== 'string')) throw AppError.badInput('ids', 'must be a list of account ids');
    const scope = scopeOf(payload);
    const { rows } = await this.pool.query<{ accountId: string; status: AccountStandingView['status']; pastDueSince: Date | null }>(
      'SELECT account_id AS "accountId", status, past_due_since AS "pastDueSince" FROM account_standing WHERE account_id = ANY($1)',
      [ids],
    );
    const known = new Map(rows.map((row) => [row.accountId, row]));
    return ids.filter((id) => inScope(id, scope)).map((accountId) => ({
      accountId, status: known.get(accountId)?.status ?? 'ACTIVE', pastDueSince: known.get(accountId)?.pastDueSince?.toISOString() ?? null,
    }));
  }
}
