import type { IncomingMessage, ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Controller, Get, Logger, Param, Query, Req, Res } from '@nestjs/common';
import type { Caller } from '#libs/contracts';
import { Authenticator } from '../auth/authenticator.js';
import { isRefusal, RequestLimits } from '../auth/request-limits.js';
import { authenticated, callerFor, newCorrelationId } from '../graphql/gateway-context.js';
import { sendAppError, sendRefusal } from '../graphql/http-requests.js';
import type { Viewer } from '../identity/identity.js';
import { SessionAuth } from '../people/session-auth.js';
import { InvoiceDocuments, type InvoiceFile } from './invoice-documents.js';

type Request = IncomingMessage & { ip?: string };

/** A streamed document is cut short when its client takes nothing for this long. */
const IDLE_CLIENT_MS = 60_000;

/**
 * `GET /invoices/{id}.csv`, `GET /invoices/{id}.pdf` and `GET /invoices.csv?month=YYYY-MM`: under
 * the same Authorization (or session cookie), limits and rules as the GraphQL API, errors as JSON with the contract's code.
 */
@Controller()
export class InvoiceDocumentsController {
  private readonly logger = new Logger('invoices');

  constructor(
    private readonly authenticator: Authenticator,
    private readonly limits: RequestLimits,
    private readonly documents: InvoiceDocuments,
    private readonly sessions: SessionAuth,
  ) {}

  @Get('invoices/:id.csv')
  csv(@Param('id') id: string, @Req() request: Request, @Res() response: ServerResponse): Promise<void> {
    return this.serve(request, response, (_, caller) => this.documents.csv(caller, id));
  }

  @Get('invoices/:id.pdf')
  pdf(@Param('id') id: string, @Req() request: Request, @Res() response: ServerResponse): Promise<void> {
    return this.serve(request, response, (_, caller) => this.documents.pdf(caller, id));
  }

  @Get('invoices.csv')
  monthCsv(@Query('month') month: unknown, @Req() request: Request, @Res() response: ServerResponse): Promise<void> {
    return this.serve(request, response, (viewer, caller) => this.documents.monthCsv(viewer, caller, month));
  }

  /**
   * As /graphql does: the caller, a slot among its account's requests, a token of its key's rate,
   * then (each document rates an invoice, as `invoice(id)` does) one of its expensive slots.
   */
  private async serve(request: Request, response: ServerResponse, make: (viewer: Viewer, caller: Caller) => Promise<InvoiceFile>): Promise<void> {
    const releases: (() => void)[] = [];
    try {
      // A key, or else a signed-in person's cookie: a download is a GET a link makes, so no CSRF token
      // is asked (it changes nothing, the SameSite=Strict cookie goes with no other site's request, and no other origin reads the answer).
      const viewer = request.headers.authorization
        ? await this.authenticator.viewerOf(request.headers.authorization, request.ip)
        : await this.sessions.holderOf(request, { checkCsrf: false }).then((holder) => (holder === undefined ? undefined : (holder?.viewer ?? null)));
      const slot = await this.limits.requestSlot(viewer, request.ip);
      if (isRefusal(slot)) return sendRefusal(response, slot);
      releases.push(slot);
      const limited = this.limits.takeToken(viewer, request.ip);
      if (limited) return sendRefusal(response, limited);
      const caller = authenticated(viewer);
      const expensive = this.limits.expensiveSlot(caller);
      if (isRefusal(expensive)) return sendRefusal(response, expensive);
      releases.push(expensive);
      const file = await make(caller, callerFor(caller, newCorrelationId()));
      response.statusCode = 200;
      response.setHeader('content-type', file.contentType);
      response.setHeader('content-disposition', `attachment; filename="${file.filename}"`);
      // An invoice is its tenant's, and a draft changes with usage: no cache keeps either.
      response.setHeader('cache-control', 'private, no-store');
      response.setHeader('x-content-type-options', 'nosniff');
      if (typeof file.body === 'string' || Buffer.isBuffer(file.body)) {
        response.setHeader('content-length', String(Buffer.byteLength(file.body)));
        response.end(file.body);
      } else {
        // Sent chunked as it is made, each chunk once the client took the ones before: a client that
        // goes away stops it, one that stalls is cut off.
        response.setTimeout(IDLE_CLIENT_MS, () => response.destroy(new Error(`the client took nothing for ${IDLE_CLIENT_MS / 1000} s`)));
        await pipeline(Readable.from(file.body, { objectMode: false }), response);
      }
    } catch (error) {
      this.fail(response, error);
    } finally {
      for (const release of releases) release();
    }
  }

  private fail(response: ServerResponse, error: unknown): void {
    sendAppError(response, error, this.logger, ({ code }) => ({
      ...(code === 'UNAUTHENTICATED' ? { 'www-authenticate': 'Bearer' } : {}),
      ...(code === 'UNAVAILABLE' ? { 'retry-after': '1' } : {}),
    }));
  }
}
