import { Args, Context, ID, Int, Mutation, Parent, Query, ResolveField, Resolver } from '@nestjs/graphql';
import { AppError } from '#libs/contracts';
import { inScope } from '#libs/messaging';
import { Authenticator } from '../auth/authenticator.js';
import { SubscriberSockets } from '../auth/subscriber-sockets.js';
import { metadataOf, viewerOf, type GatewayContext } from '../graphql/gateway-context.js';
import { Identity, type AccountView, type ApiKeyView } from '../identity/identity.js';
import { Account, AccountConnection, ApiKey, ApiKeyWithSecret, CreateAccountInput, CreateAccountPayload, CreateApiKeyInput } from './account.model.js';

/** Accounts and API keys: identity, which the gateway owns. */
@Resolver(() => Account)
export class AccountsResolver {
  constructor(
    private readonly identity: Identity,
    private readonly authenticator: Authenticator,
    private readonly sockets: SubscriberSockets,
  ) {}

  @Query(() => Account)
  async me(@Context() context: GatewayContext): Promise<AccountView> {
    const account = await context.loaders.accounts.load(viewerOf(context).accountId);
    if (!account) throw new AppError('UNAUTHENTICATED', 'the API key has no account');
    return account;
  }

  @Query(() => Account, { nullable: true })
  account(@Args('id', { type: () => ID }) id: string, @Context() context: GatewayContext): Promise<AccountView | null> {
    return this.identity.account(id, viewerOf(context));
  }

  @Query(() => AccountConnection)
  async accounts(
    @Context() context: GatewayContext,
    @Args('first', { type: () => Int, nullable: true }) first?: number,
    @Args('after', { type: () => String, nullable: true }) after?: string,
    @Args('parentId', { type: () => ID, nullable: true }) parentId?: string,
  ) {
    const viewer = viewerOf(context);
    if (parentId && !inScope(parentId, viewer)) throw AppError.notFound(`account ${parentId}`);
    return this.identity.list(viewer, { first, after, parentId });
  }

  @ResolveField(() => Account, { nullable: true, description: "null where the caller may not see it (a reseller's own parent)" })
  async parent(@Parent() account: AccountView, @Context() context: GatewayContext): Promise<AccountView | null> {
    if (!account.parentId || !inScope(account.parentId, viewerOf(context))) return null;
    return context.loaders.accounts.load(account.parentId);
  }

  @ResolveField(() => AccountConnection)
  customers(
    @Parent() account: AccountView,
    @Context() context: GatewayContext,
    @Args('first', { type: () => Int, nullable: true }) first?: number,
    @Args('after', { type: () => String, nullable: true }) after?: string,
  ) {
    return this.identity.list(viewerOf(context), { first, after, parentId: account.id });
  }

  @Mutation(() => CreateAccountPayload)
  async createAccount(@Args('input') input: CreateAccountInput, @Context() context: GatewayContext) {
    const { account, apiKey, secret } = await this.identity.createAccount(viewerOf(context), input, metadataOf(context));
    this.authenticator.forget(); // the parent's keys now see one more customer
    return { account, apiKey: { apiKey, secret } };
  }

  @Mutation(() => ApiKeyWithSecret)
  async createApiKey(@Args('input') input: CreateApiKeyInput, @Context() context: GatewayContext) {
    const { apiKey, secret } = await this.identity.createApiKey(viewerOf(context), input, metadataOf(context));
    return { apiKey, secret };
  }

  @Mutation(() => ApiKey)
  async revokeApiKey(@Args('id', { type: () => ID }) id: string, @Context() context: GatewayContext): Promise<ApiKeyView> {
    const key = await this.identity.revokeApiKey(viewerOf(context), id, metadataOf(context));
    this.authenticator.forget();
    void this.sockets.check(); // this replica's sockets of the key close now; the others' within API_KEY_CACHE_MS
    return key;
  }
}

@Resolver(() => ApiKey)
export class ApiKeysResolver {
  @ResolveField(() => Account)
  async account(@Parent() key: ApiKeyView, @Context() context: GatewayContext): Promise<AccountView> {
    return (await context.loaders.accounts.load(key.accountId))!;
  }
}
