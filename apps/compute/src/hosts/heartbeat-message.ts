import type { Msg } from '@nats-io/transport-node';
import { AppError, hostIdOfHeartbeat, type HostHeartbeat } from '#libs/contracts';

/**
 * A heartbeat as its subject vouches for it: NATS lets only a host's own credentials publish on
 * `agent.heartbeat.<hostId>`, so one that names another host in its body is refused (a host must not
 * speak for another's instances).
 */
export function heartbeatOf(message: Msg): HostHeartbeat {
  const beat = message.json<HostHeartbeat>();
  const hostId = hostIdOfHeartbeat(message.subject);
  if (beat?.hostId !== hostId) throw AppError.badInput('heartbeat.hostId', `a heartbeat on ${message.subject} names host ${String(beat?.hostId)}`);
  return beat;
}
