import { isRfc1123Label } from './names.js';

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

/**
 * An agent's heartbeat, on a subject of its host's own (`agent.heartbeat.<hostId>`), so NATS lets a
 * host's credentials publish only its own.
 */
export function agentHeartbeatSubject(hostId: string): string {
  return `agent.heartbeat.${hostId}`;
}

/** Every host's heartbeat, as compute subscribes to them. */
export const AGENT_HEARTBEATS_SUBJECT = 'agent.heartbeat.*';

/** The host a heartbeat's subject names: the one whose credentials could publish it. */
export function hostIdOfHeartbeat(subject: string): string {
  return subject.slice('agent.heartbeat.'.length);
}

/**
 * A host id: an RFC 1123 label, and never `heartbeat`, whose commands' subjects (`agent.heartbeat.>`)
 * would be every host's heartbeat.
 */
export function isValidHostId(hostId: unknown): hostId is string {
  return isRfc1123Label(hostId) && hostId !== 'heartbeat';
}

/** `agent.<hostId>.<command>`, e.g. `agent.h1.instance.start` */
export function agentSubject(hostId: string, command: string): string {
  return `agent.${hostId}.${command}`;
}

/** Request-reply subject every service answers for its health. */
export function healthSubject(service: string): string {
  return `${service}.health`;
}
