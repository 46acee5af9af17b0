import { AppError, type ReplyOf, type RequestOf, type Scope } from '#libs/contracts';
import { withoutDeadline } from '#libs/deadlines';
import { handleCommand, type EventStore } from '#libs/event-store';
import { metadataOf, type ServiceClient } from '#libs/messaging';
import { instanceDecider, instanceStreamId } from '../instances/instance.decider.js';
import type { Instances } from '../instances/instances.js';

/** How long a host has to attach a session (a container's console program starts in well under a second). */
const ATTACH_TIMEOUT_MS = 15_000;

/**
 * The gateway's console sessions, as compute sees them: each opening is recorded on the instance's
 * stream (ConsoleOpened, who and which console) before its host attaches it, and each end
 * (ConsoleClosed, how long and why), so the instance's history has every session. The bytes never
 * pass through compute: they go between the gateway and the host on the session's own subjects.
 */
export class InstanceConsoles {
  constructor(
    private readonly store: EventStore,
    private readonly instances: Instances,
    private readonly client: ServiceClient,
  ) {}

  async open(request: RequestOf<'compute.instance.console.open'>, scope: Scope): Promise<ReplyOf<'compute.instance.console.open'>> {
    const metadata = metadataOf(request);
    if (metadata.actor.kind !== 'account') throw new AppError('FORBIDDEN', 'a console is opened by an account: the request must say whose key opened it');
    if (typeof request.apiKeyId !== 'string' || !request.apiKeyId) throw AppError.badInput('apiKeyId', 'is required: the key that opened the console');
    const instance = await this.instances.get(request.id, scope);
    if (!instance) throw AppError.notFound(`instance ${String(request.id)}`);
    const session = { sessionId: request.sessionId, kind: request.kind, accountId: metadata.actor.accountId, role: metadata.actor.role, apiKeyId: request.apiKeyId };
    const { state } = await handleCommand(this.store, instanceStreamId(instance.id), instanceDecider, { type: 'OpenConsole', session }, metadata);
    const hostId = state.hostId!;
    try {
      await this.client.callAgent(hostId, 'console.open', { sessionId: session.sessionId, instanceId: instance.id, kind: session.kind }, ATTACH_TIMEOUT_MS);
    } catch (error) {
      // Recorded as a session that ended at once, so the history never holds an opening without its end:
      // however late, as the opening is recorded.
      await withoutDeadline(() => this.close({ ...request, durationMs: 0, reason: `not attached by its host: ${(error as Error).message}` }, scope));
      throw error;
    }
    return { hostId };
  }

  /** Records the session's end, once; asked again (or for a session never opened), nothing more. */
  async close(request: RequestOf<'compute.instance.console.close'>, scope: Scope): Promise<ReplyOf<'compute.instance.console.close'>> {
    const instance = await this.instances.get(request.id, scope);
    if (!instance) throw AppError.notFound(`instance ${String(request.id)}`);
    const command = { type: 'CloseConsole' as const, sessionId: request.sessionId, durationMs: request.durationMs, reason: request.reason };
    const { events } = await handleCommand(this.store, instanceStreamId(instance.id), instanceDecider, command, metadataOf(request));
    return { closed: events.length > 0 };
  }
}
