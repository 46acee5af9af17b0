import { Logger, Module } from '@nestjs/common';
import type pg from 'pg';
import { SYSTEM_ACTOR } from '#libs/contracts';
import { EventStore } from '#libs/event-store';
import { ServiceClient } from '#libs/messaging';
import { PG_POOL } from '#libs/event-sourcing';
import { readWholeNumber } from '#libs/platform';
import { Authenticator } from '../auth/authenticator.js';
import { SubscriberSockets } from '../auth/subscriber-sockets.js';
import { BillingStandingConsumer } from './billing-standing.consumer.js';
import { Identity } from './identity.js';

const logger = new Logger('identity');

/** How long a replica trusts a key it checked: a revocation, or a suspension, reaches every replica within it. */
const apiKeyCacheMs = () => readWholeNumber('API_KEY_CACHE_MS', 5000, { expected: 'milliseconds, at most 60000', max: 60_000 });

/** Identity for the rest of the gateway: accounts and keys, made ready (the platform and its ADMIN key) before the API serves. */
@Module({
  providers: [
    {
      provide: Identity,
      inject: [PG_POOL, EventStore, ServiceClient],
      useFactory: async (pool: pg.Pool, store: EventStore, client: ServiceClient) => {
        const identity = new Identity(pool, store, () => client.call('billing.price.currencies', {}));
        const made = await identity.bootstrap(
          { name: process.env.AWAN_PLATFORM_NAME ?? 'Platform', currency: process.env.AWAN_PLATFORM_CURRENCY ?? 'EUR', adminSecret: process.env.AWAN_ADMIN_API_KEY },
          { correlationId: 'first-start', causationId: null, actor: SYSTEM_ACTOR },
        );
        if (made?.generatedSecret) {
          // Printed this once: only its hash is kept.
          logger.log(`the platform account was made; its ADMIN API key (shown once, keep it): ${made.generatedSecret}`);
        } else if (made) {
          logger.log('the platform account was made; its ADMIN API key is AWAN_ADMIN_API_KEY');
        }
        return identity;
      },
    },
    {
      provide: Authenticator,
      inject: [Identity],
      useFactory: (identity: Identity) =>
        new Authenticator(identity, {
          cacheMs: apiKeyCacheMs(),
          touchEveryMs: 60_000,
          onTouchError: (error) => logger.warn(`lastUsedAt not kept: ${error.message}`),
        }),
    },
    {
      provide: SubscriberSockets,
      inject: [Identity],
      // Checked twice within the cache's time, so a socket is closed within it.
      useFactory: (identity: Identity) =>
        new SubscriberSockets(identity, {
          checkEveryMs: Math.max(100, Math.floor(apiKeyCacheMs() / 2)),
          onCheckError: (error) => logger.warn(`subscriber keys not checked: ${error.message}`),
        }),
    },
    BillingStandingConsumer,
  ],
  exports: [Identity, Authenticator, SubscriberSockets],
})
export class IdentityModule {}
