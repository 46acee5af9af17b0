import { Controller } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import type { RequestOf } from '#libs/contracts';
import { Handles, scopeOf } from '#libs/messaging';
import { Dunning } from './dunning.js';

/** `billing.account.standing`: the dunning status of several accounts at once, for the gateway's Account.status. */
@Controller()
export class AccountsController {
  constructor(private readonly dunning: Dunning) {}

  @Handles('billing.account.standing')
  standing(@Payload() payload: RequestOf<'billing.account.standing'>) {
    return this.dunning.standing(payload?.ids, scopeOf(payload));
  }
}
