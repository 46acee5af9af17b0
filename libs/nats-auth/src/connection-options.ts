import { credsAuthenticator, type ConnectionOptions } from '@nats-io/transport-node';
import { userClaimsOf } from './authority.js';

/**
 * How a process connects with its credentials (a `.creds` text): it signs the server's challenge
 * with them, and takes its inboxes (its replies, JetStream's deliveries) under the prefix its
 * permissions allow it to subscribe to, as no one else's inboxes are open to it. None: no options.
 */
export function credentialsOptions(credentials: string | undefined): Pick<ConnectionOptions, 'authenticator' | 'inboxPrefix'> {
  if (credentials === undefined) return {};
  const inbox = userClaimsOf(credentials).nats.sub?.allow?.find((subject) => subject.startsWith('_INBOX.') && subject.endsWith('.>'));
  return {
    authenticator: credsAuthenticator(new TextEncoder().encode(credentials)),
    ...(inbox ? { inboxPrefix: inbox.slice(0, -'.>'.length) } : {}),
  };
}
