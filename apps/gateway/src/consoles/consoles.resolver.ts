import { Args, Context, ID, Mutation, Resolver } from '@nestjs/graphql';
import { AppError, type ConsoleKind as ConsoleKindName } from '#libs/contracts';
import { closingOf } from '../auth/subscriber-sockets.js';
import { callerOf, requireResellersOwn, requireRole, type GatewayContext } from '../graphql/gateway-context.js';
import { GatewayServiceClient } from '../graphql/service-calls.js';
import { ConsoleKind, ConsoleSession } from './console-session.model.js';
import { CONSOLE_PATH, ConsoleTokens } from './console-tokens.js';

/** Who opens consoles: as who runs instances (a reseller its own, not its customers'; FINANCE none). */
const OPENERS = ['ADMIN', 'RESELLER', 'CUSTOMER'] as const;

@Resolver(() => ConsoleSession)
export class ConsolesResolver {
  constructor(
    private readonly client: GatewayServiceClient,
    private readonly tokens: ConsoleTokens,
  ) {}

  /**
   * A console of a RUNNING instance the caller runs (CONFLICT otherwise; VNC of a container is
   * BAD_USER_INPUT on kind): a URL on this gateway holding a single-use token bound to the caller's key.
   */
  @Mutation(() => ConsoleSession, { description: 'SERIAL when kind is not given' })
  async openConsole(
    @Args('instanceId', { type: () => ID }) instanceId: string,
    @Context() context: GatewayContext,
    @Args('kind', { type: () => ConsoleKind, nullable: true }) kind?: ConsoleKindName | null,
  ): Promise<ConsoleSession> {
    const viewer = requireRole(context, OPENERS, 'open consoles');
    const closing = closingOf({ revoked: false, accountStatus: viewer.accountStatus });
    if (closing) throw new AppError('FORBIDDEN', `no console: ${closing.reason}`);
    const instance = await this.client.call('compute.instance.get', { ...callerOf(context), id: instanceId });
    await requireResellersOwn(viewer, async () => instance, `instance ${instanceId}`);
    if (!instance) throw AppError.notFound(`instance ${instanceId}`);
    const chosen = kind ?? 'SERIAL';
    if (chosen === 'VNC' && instance.kind !== 'VM') throw AppError.badInput('kind', "VNC is a VM's display: a container has a SERIAL console only");
    if (instance.status !== 'RUNNING') throw AppError.conflict(`cannot open a console of an instance that is ${instance.status}: it must be RUNNING`);
    const { token, expiresAt } = await this.tokens.issue({ instanceId: instance.id, kind: chosen, apiKeyId: viewer.apiKeyId, accountId: viewer.accountId, role: viewer.role });
    return { url: `${context.consoleOrigin}${CONSOLE_PATH}${token}`, kind: chosen, expiresAt: expiresAt.toISOString() };
  }
}
