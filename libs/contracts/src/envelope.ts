/** Who caused an event: an account acting in a role, or the platform itself. */
export type Actor =
  | { kind: 'account'; accountId: string; role: 'ADMIN' | 'RESELLER' | 'CUSTOMER' | 'FINANCE' }
  | { kind: 'system' };

export interface EventMetadata {
  /** Shared by every event and message caused by one user request. */
  correlationId: string;
  /** The event or command that directly caused this one. */
  causationId: string | null;
  actor: Actor;
  /** The W3C trace context of the traced work that appended it (https://www.w3.org/TR/trace-context/): its consumers continue that trace. */
  traceparent?: string;
  tracestate?: string;
}

/** The envelope every domain event travels in, stored and published alike (ARCHITECTURE.md). */
export interface EventEnvelope<Type extends string = string, Data = unknown> {
  eventId: string;
  type: Type;
  /** `<aggregate>-<id>`, e.g. `instance-7f0c…`; the aggregate names the event's subject. */
  streamId: string;
  /** Position of the event in its stream, from 1. */
  version: number;
  /** ISO-8601 timestamp of when the fact happened. */
  occurredAt: string;
  data: Data;
  metadata: EventMetadata;
}

export const SYSTEM_ACTOR: Actor = { kind: 'system' };
