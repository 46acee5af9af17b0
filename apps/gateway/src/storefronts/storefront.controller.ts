import type { ServerResponse } from 'node:http';
import { Body, Controller, Get, Logger, Param, Post, Req, Res } from '@nestjs/common';
import { Authenticator } from '../auth/authenticator.js';
import { RequestLimits } from '../auth/request-limits.js';
import { sendRefusal } from '../graphql/http-requests.js';
import { answerJson, bodyOf, callerOf, type Json, type JsonRequest } from '../people/json-endpoints.js';
import { SessionAuth } from '../people/session-auth.js';
import { Storefronts } from './storefronts.js';

/**
 * Resellers' storefronts over REST (the agreed contract names no operation for them): the public
 * face and sign-up under /store/<slug>/ (the page itself, /store/<slug>, is the web console's), and
 * the reseller's settings at /auth/storefront. Framed as /auth is: JSON only, the gateway's own
 * origin only, each address's rate.
 */
@Controller()
export class StorefrontController {
  private readonly logger = new Logger('storefronts');

  constructor(
    private readonly storefronts: Storefronts,
    private readonly sessions: SessionAuth,
    private readonly authenticator: Authenticator,
    private readonly limits: RequestLimits,
  ) {}

  /** GET /store/<slug>/catalog: the reseller's name, colour and currency, and its plans at its customers' prices. Public. */
  @Get('store/:slug/catalog')
  catalog(@Param('slug') slug: string, @Req() request: JsonRequest, @Res() response: ServerResponse): Promise<void> {
    return this.answer(request, response, () => this.storefronts.catalog(slug));
  }

  /** POST /store/<slug>/sign-up {name, email, accountName?}: a customer account and its first person, mailed a link to set a password. Public; 202. */
  @Post('store/:slug/sign-up')
  signUp(@Param('slug') slug: string, @Body() body: unknown, @Req() request: JsonRequest, @Res() response: ServerResponse): Promise<void> {
    return this.answer(request, response, async () => {
      const result = await this.storefronts.signUp(slug, bodyOf(body), request.ip);
      if ('status' in result) {
        sendRefusal(response, result);
        return undefined;
      }
      return { signedUp: true, email: result.email };
    }, 202);
  }

  /** GET /auth/storefront?accountId=: the caller's reseller's storefront settings (null before any are set) and its customers' prices. */
  @Get('auth/storefront')
  settings(@Req() request: JsonRequest, @Res() response: ServerResponse): Promise<void> {
    return this.answer(request, response, async () => {
      const viewer = await callerOf(request, this.authenticator, this.sessions, false);
      const accountId = new URL(request.url ?? '/', 'http://gateway').searchParams.get('accountId');
      const storefront = await this.storefronts.settings(viewer, accountId);
      // What the reseller's customers pay now (the contract's Plan prices a reseller at its cost).
      const prices = await this.storefronts.customerPrices(accountId || viewer.accountId);
      return { storefront, prices: [...prices.values()].map(({ sku, currency, hourlyPrice, monthlyPrice }) => ({ planId: sku, currency, hourlyPrice, monthlyPrice })) };
    });
  }

  /** POST /auth/storefront {slug, brandColour, enabled, accountId?}: sets them; by the reseller or ADMIN. */
  @Post('auth/storefront')
  setSettings(@Body() body: unknown, @Req() request: JsonRequest, @Res() response: ServerResponse): Promise<void> {
    return this.answer(request, response, async () => {
      const viewer = await callerOf(request, this.authenticator, this.sessions);
      return { storefront: await this.storefronts.set(viewer, bodyOf(body)) };
    });
  }

  private answer(request: JsonRequest, response: ServerResponse, work: () => Promise<Json | undefined>, status = 200): Promise<void> {
    return answerJson({ limits: this.limits, sessions: this.sessions, logger: this.logger }, request, response, work, status);
  }
}
