import { Readable, Transform, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { createClient } from 'graphql-ws/client';
import { ApiError, UnreachableError } from '../cli-errors.js';
import type { Operation } from './operation.js';

/** How long one request may take before the server counts as unreachable. */
const REQUEST_TIMEOUT_MS = 60_000;

interface GraphqlError {
  message: string;
  extensions?: { code?: string; field?: string };
}

/** Unsubscribes. */
export type Unsubscribe = () => void;

/**
 * A client of the public API alone: GraphQL over HTTP POST with the key as a Bearer token,
 * graphql-ws for subscriptions, and the gateway's plain HTTP routes (invoice documents).
 */
export class ApiClient {
  constructor(
    readonly url: string,
    private readonly key: string,
  ) {}

  async request<V, R>(operation: Operation<V, R>, variables: V): Promise<R> {
    const response = await this.send(this.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json, application/json' },
      body: JSON.stringify({ query: operation.document, variables }),
    });
    const body = await this.jsonOf(response);
    const errors = (body as { errors?: GraphqlError[] }).errors;
    if (errors?.length) throw apiErrorOf(errors[0]);
    const data = (body as { data?: R | null }).data;
    if (!data) throw new UnreachableError(this.url, `it answered HTTP ${response.status} with neither data nor errors`);
    return data;
  }

  /**
   * GET a route of the gateway beside /graphql (`invoices/<id>.csv`), with the key, into `sink` as
   * it arrives (a month's CSV can be hundreds of MB): the bytes written. A refusal is an ApiError
   * with the code the gateway gave (JSON `{ code, message }` or GraphQL-style errors), else by HTTP
   * status; a download cut short (the gateway failed midway, or sent nothing for REQUEST_TIMEOUT_MS)
   * an UnreachableError; the sink's own failure (a full disk) as it is.
   */
  async download(route: string, sink: Writable, { end = true } = {}): Promise<number> {
    const target = new URL(route, new URL('.', this.url)).toString();
    const idle = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    const stillComing = () => {
      clearTimeout(timer);
      timer = setTimeout(() => idle.abort(new DOMException('timed out', 'TimeoutError')), REQUEST_TIMEOUT_MS);
    };
    stillComing();
    try {
      const response = await this.send(target, { method: 'GET' }, idle.signal);
      if (!response.ok) throw await refusalOf(response, target);
      let bytes = 0;
      const counted = new Transform({
        transform(chunk: Buffer, _encoding, done) {
          bytes += chunk.length;
          stillComing();
          done(null, chunk);
        },
      });
      const body = Readable.fromWeb(response.body as WebReadableStream);
      // Whichever fails first failed: the pipeline then fails the other with the same error.
      let first: 'body' | 'sink' | undefined;
      body.once('error', () => (first ??= 'body'));
      sink.once('error', () => (first ??= 'sink'));
      await pipeline(body, counted, sink, { end }).catch((error: unknown) => {
        throw first === 'sink' ? error : new UnreachableError(target, `the download was cut short: ${describeFetchError(error)}`);
      });
      return bytes;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Results of a subscription, until `error` or unsubscribed; the socket is the API's graphql-ws endpoint, authenticated as HTTP is. */
  subscribe<V, R>(operation: Operation<V, R>, variables: V, sink: { next: (result: R) => void; error: (error: Error) => void }): Unsubscribe {
    const client = createClient({
      url: this.url.replace(/^http/, 'ws'),
      connectionParams: { authorization: `Bearer ${this.key}` },
      retryAttempts: 0,
      lazy: true,
    });
    let closed = false;
    const stop = client.subscribe<R>(
      { query: operation.document, variables: variables as Record<string, unknown> },
      {
        next: (value) => {
          if (value.errors?.length) sink.error(apiErrorOf(value.errors[0] as GraphqlError));
          else if (value.data) sink.next(value.data);
        },
        error: (error) => {
          if (closed) return;
          if (Array.isArray(error) && error.length) sink.error(apiErrorOf(error[0] as GraphqlError));
          else sink.error(new UnreachableError(this.url.replace(/^http/, 'ws'), describeSocketError(error)));
        },
        complete: () => undefined,
      },
    );
    return () => {
      closed = true;
      stop();
      void client.dispose();
    };
  }

  private async send(url: string, init: RequestInit, signal = AbortSignal.timeout(REQUEST_TIMEOUT_MS)): Promise<Response> {
    try {
      return await fetch(url, { ...init, headers: { ...(init.headers as Record<string, string>), authorization: `Bearer ${this.key}` }, signal });
    } catch (error) {
      throw new UnreachableError(url, describeFetchError(error));
    }
  }

  private async jsonOf(response: Response): Promise<unknown> {
    const type = response.headers.get('content-type') ?? '';
    const text = await response.text().catch(() => '');
    if (type.includes('json')) {
      try {
        return JSON.parse(text);
      } catch {
        // told below
      }
    }
    throw new UnreachableError(this.url, `it answered HTTP ${response.status}${type ? ` (${type.split(';')[0]})` : ''}, not the GraphQL API: is it the gateway's /graphql?`);
  }
}

/** The refusal's contract code, message and field; one without a code (a bad document) counts as the server's. */
const apiErrorOf = (error: GraphqlError) => new ApiError(error.extensions?.code ?? 'INTERNAL_SERVER_ERROR', error.message, error.extensions?.field);

/** Plain HTTP routes answer with a status; these say what a GraphQL refusal would. */
const STATUS_CODES: Record<number, string> = { 400: 'BAD_USER_INPUT', 401: 'UNAUTHENTICATED', 403: 'FORBIDDEN', 404: 'NOT_FOUND', 409: 'CONFLICT', 429: 'RATE_LIMITED', 503: 'UNAVAILABLE' };

/** What a route of the gateway answered other than 2xx, as the error it means. */
async function refusalOf(response: Response, target: string): Promise<Error> {
  const text = await response.text();
  let refusal: GraphqlError | null = null;
  try {
    const body = JSON.parse(text) as { errors?: GraphqlError[]; code?: string; message?: string; error?: string };
    if (body.errors?.length) refusal = body.errors[0];
    else if (body.code || body.message || body.error) refusal = { message: body.message ?? body.error ?? '', extensions: { code: body.code } };
  } catch {
    // not JSON: told by its status below
  }
  if (refusal?.extensions?.code) return apiErrorOf(refusal);
  const code = STATUS_CODES[response.status];
  if (code) return new ApiError(code, refusal?.message || text.trim().slice(0, 200) || `${target} answered HTTP ${response.status}`);
  return new UnreachableError(target, `it answered HTTP ${response.status}${text ? `: ${text.trim().slice(0, 200)}` : ''}`);
}

function describeFetchError(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } })?.cause;
  if ((error as Error)?.name === 'TimeoutError') return `no answer within ${REQUEST_TIMEOUT_MS / 1000} s`;
  if (cause?.code === 'ECONNREFUSED') return 'connection refused (is Awan running there?)';
  if (cause?.code === 'ENOTFOUND' || cause?.code === 'EAI_AGAIN') return 'the host name does not resolve';
  return cause?.message ?? cause?.code ?? (error as Error)?.message ?? String(error);
}

function describeSocketError(error: unknown): string {
  const close = error as { code?: number; reason?: string };
  if (typeof close?.code === 'number') return `the socket closed (${close.code}${close.reason ? ` ${close.reason}` : ''})`;
  return (error as Error)?.message ?? 'the socket failed';
}
