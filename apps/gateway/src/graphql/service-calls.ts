import { AsyncLocalStorage } from 'node:async_hooks';
import { AppError, type ReplyOf, type RequestOf, type Subject } from '#libs/contracts';
import type { ServiceClient } from '#libs/messaging';

/** Requests to services one GraphQL operation may make; its complexity limit admits at most this many at REQUEST's weight. */
export const MAX_SERVICE_CALLS = 100;

/**
 * The requests one GraphQL operation makes to the services: the same request (subject and payload)
 * is sent once and its answer shared, and no more than `max` are sent.
 */
export class ServiceCalls {
  private sent = 0;
  private readonly answers = new Map<string, Promise<unknown>>();

  constructor(readonly max = MAX_SERVICE_CALLS) {}

  /**
   * `send`'s answer, or the one an identical read of this operation already had. A change
   * (`shared: false`: a mutation) is always sent, and what was read before it is read again after it.
   */
  call<T>(subject: string, payload: unknown, shared: boolean, send: () => Promise<T>): Promise<T> {
    const key = `${subject} ${JSON.stringify(payload ?? {})}`;
    if (shared && this.answers.has(key)) return this.answers.get(key) as Promise<T>;
    if (this.sent >= this.max) {
      return Promise.reject(AppError.badInput('query', `it needs more than ${this.max} requests to services: ask for less in one operation`));
    }
    this.sent++;
    if (!shared) {
      this.answers.clear();
      return send();
    }
    const answer = send();
    this.answers.set(key, answer);
    return answer;
  }
}

/** The operation whose resolver runs now, and whether its requests are reads (shared) or a mutation's own. */
export const currentServiceCalls = new AsyncLocalStorage<{ calls: ServiceCalls; shared: boolean }>();

/**
 * How the gateway asks the services, typed by their contracts (libs/contracts): a request made while
 * a GraphQL resolver runs goes through its operation's ServiceCalls; anything else (a subscription's
 * feed) is sent as it is. It sends through the messaging module's client, which owns the NATS connection.
 */
export class GatewayServiceClient {
  constructor(private readonly client: ServiceClient) {}

  call<S extends Subject>(subject: S, request: RequestOf<S>, timeoutMs?: number): Promise<ReplyOf<S>> {
    const current = currentServiceCalls.getStore();
    const send = () => this.client.call(subject, request, timeoutMs);
    return current ? current.calls.call(subject, request, current.shared, send) : send();
  }
}
