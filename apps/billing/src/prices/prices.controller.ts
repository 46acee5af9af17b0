import { Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { type Caller } from '#libs/contracts';
import { metadataOf, scopeOf } from '#libs/messaging';
import type { Granularity, StoppedBilling } from '../rating/rating.js';
import { Prices, type SetPriceInput } from './prices.js';

/** `billing.price.*`: what an account pays per plan, the platform's lists, and setting prices (ADMIN for the platform, a reseller for its customers). */
@Controller()
export class PricesController {
  constructor(private readonly prices: Prices) {}

  @MessagePattern('billing.price.list')
  list(@Payload() payload: Caller & { accountId: string }) {
    return this.prices.forAccount(payload?.accountId, scopeOf(payload));
  }

  /** The currencies with a platform price list: the ones an account may be opened in. */
  @MessagePattern('billing.price.currencies')
  currencies() {
    return this.prices.currencies();
  }

  /** The platform's prices in a currency (what it charges a reseller in that currency). */
  @MessagePattern('billing.price.platform')
  platform(@Payload() payload: { currency: string }) {
    return this.prices.platformList(payload?.currency);
  }

  @MessagePattern('billing.price.set')
  set(@Payload() payload: Caller & { input: SetPriceInput }) {
    return this.prices.set(payload?.input, scopeOf(payload), metadataOf(payload));
  }

  @MessagePattern('billing.price.setOptions')
  setOptions(@Payload() payload: Caller & { input: { accountId?: string; currency?: string; granularity: Granularity; stoppedBilling: StoppedBilling } }) {
    return this.prices.setOptions(payload?.input, scopeOf(payload), metadataOf(payload));
  }
}
