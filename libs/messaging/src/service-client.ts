import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { ClientProxy, NatsRecord, type NatsEvents } from '@nestjs/microservices';
import { headers as natsHeaders } from '@nats-io/transport-node';
import { SpanKind } from '@opentelemetry/api';
import { first, firstValueFrom, mergeMap, NEVER, race, throwError, timeout, TimeoutError, toArray } from 'rxjs';
import { agentSubject, AppError, type AgentCommands, type ReplyOf, type RequestOf, type Subject } from '#libs/contracts';
import { deadlineLeft } from '#libs/deadlines';
import { inChildSpan } from '#libs/tracing';
import { metricsEnabled } from '#libs/metrics';
import { addTraceHeaders, requestAttributes, spanNameOfSubject } from './message-tracing.js';
import { DEADLINE_HEADER, deadlineToSend } from './request-deadlines.js';
import { joinReply } from './reply-parts.js';
import { natsReconnects, recordClientRequest } from './request-metrics.js';

export const NATS_CLIENT = Symbol('NATS_CLIENT');
export const DEFAULT_REQUEST_TIMEOUT_MS = 5000;

/**
 * Request-reply to another service over NATS. Every request has a deadline, which it carries to the
 * service (request-deadlines.ts): a service that is down, slow or absent yields UNAVAILABLE (safe to
 * retry, as the service records nothing past the deadline), and a refusal arrives as the
 * AppError the service threw, with its contract code. A command to a host's agent in flight when the
 * connection to NATS drops fails at once as UNAVAILABLE: it may have been lost with the connection, and
 * waiting out its deadline (minutes for a create) would hold the caller's retry back. A request to a
 * service waits its deadline out (seconds): the service may have it, and only past its deadline is a
 * retry sure not to do the same thing twice; its answer may yet come once the connection is back.
 */
@Injectable()
export class ServiceClient implements OnApplicationShutdown {
  constructor(@Inject(NATS_CLIENT) private readonly client: ClientProxy) {
    (client as ClientProxy<NatsEvents>).on('reconnect', () => natsReconnects.inc({ connection: 'client' }));
  }

  /** A request to a service, typed by its contract (libs/contracts): the subject names what is sent and what comes back. */
  call<S extends Subject>(subject: S, request: RequestOf<S>, timeoutMs?: number): Promise<ReplyOf<S>> {
    return this.traced(subject, () => this.send<ReplyOf<S>>(subject, request, timeoutMs));
  }

  /** A command to one host's agent (`agent.<hostId>.<command>`), typed by AgentCommands. */
  callAgent<C extends keyof AgentCommands>(hostId: string, command: C, request: AgentCommands[C]['request'], timeoutMs?: number): Promise<AgentCommands[C]['reply']> {
    const subject = agentSubject(hostId, command);
    return this.traced(subject, () => this.send<AgentCommands[C]['reply']>(subject, request, timeoutMs, true));
  }

  /** Inside traced work, a request is a span of its own, and its headers carry the trace to the service that answers. */
  private traced<Reply>(subject: string, request: () => Promise<Reply>): Promise<Reply> {
    return inChildSpan(() => ({ name: spanNameOfSubject(subject), kind: SpanKind.CLIENT, attributes: requestAttributes(subject, 'send') }), request);
  }

  /** Any subject, untyped: only `call` and `callAgent` use it, so every request in Awan is checked against its contract. */
  protected async send<Result>(subject: string, payload: unknown, timeoutMs = DEFAULT_REQUEST_TIMEOUT_MS, failOnDrop = false): Promise<Result> {
    if (!metricsEnabled()) return this.request(subject, payload, timeoutMs, failOnDrop);
    const started = performance.now();
    try {
      const reply = await this.request<Result>(subject, payload, timeoutMs, failOnDrop);
      recordClientRequest(subject, started);
      return reply;
    } catch (error) {
      recordClientRequest(subject, started, error);
      throw error;
    }
  }

  private async request<Result>(subject: string, payload: unknown, timeoutMs: number, failOnDrop: boolean): Promise<Result> {
    // Asked while handling a request, it waits no longer than that request's caller does.
    const left = deadlineLeft();
    const waitMs = left === undefined ? timeoutMs : Math.min(timeoutMs, Math.floor(left));
    if (waitMs <= 0) throw AppError.unavailable(`${subject} not asked: the request it was for is past its deadline`);
    try {
      const dropped = failOnDrop ? this.client.status.pipe(
        first((status) => status === 'disconnected'),
        mergeMap(() => throwError(() => new Error('the connection to NATS dropped before an answer came'))),
      ) : NEVER;
      const headers = natsHeaders();
      headers.set(DEADLINE_HEADER, String(deadlineToSend(waitMs)));
      addTraceHeaders(headers);
      // Every answer until the reply ends: a large one comes in parts (reply-parts.ts).
      const answers = await firstValueFrom(race(this.client.send<unknown>(subject, new NatsRecord(payload ?? {}, headers)).pipe(timeout(waitMs), toArray()), dropped));
      return joinReply<Result>(answers);
    } catch (error) {
      if (error instanceof TimeoutError) {
        throw AppError.unavailable(`${subject} did not answer within ${waitMs} ms`);
      }
      // A reply's error arrives as a plain object. An Error is the transport failing, and so is a
      // string: Nest's NATS client rejects with one while it reconnects to a restarted server.
      if (error instanceof Error) throw AppError.unavailable(`${subject}: ${error.message}`);
      if (typeof error === 'string') throw AppError.unavailable(`${subject}: ${error}`);
      throw AppError.fromWire(error);
    }
  }

  async onApplicationShutdown(): Promise<void> {
    await this.client.close();
  }
}
