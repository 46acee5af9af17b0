/** JetStream stream that holds a service's events: `COMPUTE`, `NETWORK`, … */
export function eventStreamName(service: string): string {
  return service.toUpperCase();
}

/** `events.<service>.<aggregate>.<EventType>` */
export function eventSubject(service: string, aggregate: string, type: string): string {
  return `events.${service}.${aggregate}.${type}`;
}

/** The aggregate of a `<aggregate>-<id>` stream id. */
export function aggregateOf(streamId: string): string {
  const dash = streamId.indexOf('-');
  return dash > 0 ? streamId.slice(0, dash) : streamId;
}

/** Where a consumer sends an event it gave up on after its last delivery. */
export function deadLetterSubject(service: string, consumer: string): string {
  return `deadletter.${service}.${consumer}`;
}

export const AGENT_HEARTBEAT_SUBJECT = 'agent.heartbeat';

/** `agent.<hostId>.<command>`, e.g. `agent.h1.instance.start` */
export function agentSubject(hostId: string, command: string): string {
  return `agent.${hostId}.${command}`;
}

/** Request-reply subject every service answers for its health. */
export function healthSubject(service: string): string {
  return `${service}.health`;
}
