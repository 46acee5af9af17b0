import { Controller } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import type { RequestOf } from '#libs/contracts';
import { Handles, metadataOf, scopeOf } from '#libs/messaging';
import { Prices } from './prices.js';

/** `billing.price.*`: what an account pays per plan, the platform's lists, and setting prices (ADMIN for the platform, a reseller for its customers). */
@Controller()
export class PricesController {
  constructor(private readonly prices: Prices) {}

  @Handles('billing.price.list')
  list(@Payload() payload: RequestOf<'billing.price.list'>) {
    return this.prices.forAccount(payload?.accountId, scopeOf(payload));
  }

  @Handles('billing.price.ofReseller')
  ofReseller(@Payload() payload: RequestOf<'billing.price.ofReseller'>) {
    return this.prices.ofReseller(payload?.resellerId, scopeOf(payload));
  }

  /** The currencies with a platform price list: the ones an account may be opened in. */
  @Handles('billing.price.currencies')
  currencies() {
    return this.prices.currencies();
  }

  /** The platform's prices in a currency (what it charges a reseller in that currency). */
  @Handles('billing.price.platform')
  platform(@Payload() payload: RequestOf<'billing.price.platform'>) {
    return this.prices.platformList(payload?.currency);
  }

  @Handles('billing.price.set')
  set(@Payload() payload: RequestOf<'billing.price.set'>) {
    return this.prices.set(payload?.input, scopeOf(payload), metadataOf(payload));
  }

  /** A storage sku's price per GB-month: who may set which list's is decided as for billing.price.set. */
  @Handles('billing.price.setStorage')
  setStorage(@Payload() payload: RequestOf<'billing.price.setStorage'>) {
    return this.prices.setStorage(payload?.input, scopeOf(payload), metadataOf(payload));
  }

  @Handles('billing.price.setOptions')
  setOptions(@Payload() payload: RequestOf<'billing.price.setOptions'>) {
    return this.prices.setOptions(payload?.input, scopeOf(payload), metadataOf(payload));
  }
}
