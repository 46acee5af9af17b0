import { agentHeartbeatSubject, eventStreamName, isValidHostId } from '#libs/contracts';

/** What a NATS user may publish and subscribe to, and whether it may answer requests, as its JWT says. */
export interface UserPermissions {
  pub: { allow: string[]; deny?: string[] };
  sub: { allow: string[] };
  /** Present for responders: they may publish one reply to each request they receive, within `ttl` nanoseconds. */
  resp?: { max: number; ttl: number };
}

export const AWAN_SERVICES = ['gateway', 'compute', 'network', 'billing'] as const;
export type AwanService = (typeof AWAN_SERVICES)[number];

/**
 * One reply per request, within an hour: longer than the slowest agent command (a live migration
 * waits up to 10 minutes), as the server's default of 2 minutes is not.
 */
const RESPONSES = { max: 1, ttl: 3_600_000_000_000 };

/** A user's own inboxes: its replies and JetStream's deliveries come there, and no one else's. */
export const inboxOf = (role: string) => `_INBOX.${role}`;

/**
 * JetStream's API for one stream, as a service uses it: make the stream where it is missing, and
 * make, read and pull its durable consumers, and ack their messages. No deletes, purges or updates
 * of streams: an operator's limits stay as set.
 */
function streamApi(stream: string): string[] {
  return [
    `$JS.API.STREAM.INFO.${stream}`,
    `$JS.API.STREAM.CREATE.${stream}`,
    `$JS.API.CONSUMER.INFO.${stream}.*`,
    `$JS.API.CONSUMER.CREATE.${stream}.*`,
    `$JS.API.CONSUMER.CREATE.${stream}.*.>`,
    `$JS.API.CONSUMER.DURABLE.CREATE.${stream}.*`,
    `$JS.API.CONSUMER.MSG.NEXT.${stream}.*`,
    `$JS.ACK.${stream}.>`,
  ];
}

/**
 * A service's events: it publishes into its own stream (the relay, which also reads the stream's last
 * message back), dead-letters into its own, and consumes its own and the other streams it reacts to.
 */
function events(owner: string, consumes: string[]): string[] {
  const own = eventStreamName(owner);
  const deadLetters = `${own}_DEADLETTER`;
  return [
    '$JS.API.INFO',
    `events.${owner}.>`,
    `deadletter.${owner}.>`,
    `$JS.API.STREAM.MSG.GET.${own}`,
    ...[own, deadLetters, ...consumes.map(eventStreamName)].flatMap(streamApi),
  ];
}

/**
 * Each service, least privilege (README, "NATS permissions"): it answers its own subjects, publishes
 * and consumes its events, and asks the others only what it needs of them.
 */
export function servicePermissions(service: AwanService): UserPermissions {
  const inbox = `${inboxOf(service)}.>`;
  switch (service) {
    case 'gateway':
      return {
        // The public services' requests; its event stream is identity's (it owns identity).
        // A console session's input goes to the agent on the session's subject (consoles.ts).
        pub: { allow: ['compute.>', 'network.>', 'billing.>', 'agent.*.health', 'agent.*.console.*.in', ...events('identity', ['billing'])] },
        // instanceUpdated follows compute's instance events as they are published (core NATS); a console's output comes from its host.
        sub: { allow: ['gateway.>', 'events.compute.instance.>', 'agent.*.console.*.out', inbox] },
        resp: RESPONSES,
      };
    case 'compute':
      return {
        // Commands to every host's agent, but never a host's heartbeat; of network, only a new instance's addresses and what the hosts are to enforce.
        pub: { allow: ['agent.*.>', 'network.instance.address', 'network.filter.ofInstances', ...events('compute', ['network', 'billing'])], deny: ['agent.heartbeat.>'] },
        sub: { allow: ['compute.>', 'agent.heartbeat.*', inbox] },
        resp: RESPONSES,
      };
    case 'network':
      return {
        // The regions (DNS zones), and whether a new pool's prefix is clear of the region's hosts' networks.
        pub: { allow: ['compute.catalog.regions', 'compute.region.checkPrefix', ...events('network', ['compute'])] },
        sub: { allow: ['network.>', inbox] },
        resp: RESPONSES,
      };
    case 'billing':
      return {
        pub: { allow: events('billing', ['identity', 'compute', 'network']) },
        sub: { allow: ['billing.>', inbox] },
        resp: RESPONSES,
      };
  }
}

/**
 * A host's agent: its own heartbeat, the output of its own console sessions, and the answers to compute's
 * commands to it (and its sessions' input), whatever their names. Nothing else.
 */
export function hostPermissions(hostId: string): UserPermissions {
  // A host named "heartbeat" would answer every host's heartbeat.
  if (!isValidHostId(hostId)) throw new Error(`no credentials for a host named "${hostId}"`);
  return { pub: { allow: [agentHeartbeatSubject(hostId), `agent.${hostId}.console.*.out`] }, sub: { allow: [`agent.${hostId}.>`] }, resp: RESPONSES };
}

/** The system account's user compute revokes hosts' credentials with: read the Awan account's JWT, push a new one. */
export function claimsPermissions(accountPublicKey: string): UserPermissions {
  return {
    pub: { allow: ['$SYS.REQ.CLAIMS.UPDATE', `$SYS.REQ.ACCOUNT.${accountPublicKey}.CLAIMS.LOOKUP`] },
    sub: { allow: [`${inboxOf('claims')}.>`] },
  };
}
