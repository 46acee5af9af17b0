import type { Command } from 'commander';
import { ApiError } from '../cli-errors.js';
import { action, choiceOption, decimal, pageOf, paged, type CliIo } from '../command-kit.js';
import { me } from '../contexts/contexts.operations.js';
import type { PageVariables } from '../graphql/operation.js';
import { formatFields, formatTable } from '../output/table.js';
import { account, accounts, createAccount, createApiKey, revokeApiKey, ROLES, type Account, type ApiKey, type ApiKeyWithSecret, type Role } from './accounts.operations.js';

export const accountsTable = (rows: Account[]) =>
  formatTable(rows, [
    { header: 'ID', value: (a) => a.id },
    { header: 'NAME', value: (a) => a.name },
    { header: 'KIND', value: (a) => a.kind },
    { header: 'STATUS', value: (a) => a.status },
    { header: 'CURRENCY', value: (a) => a.currency },
    { header: 'TAX RATE', value: (a) => a.taxRate, align: 'right' },
    { header: 'PARENT', value: (a) => a.parent?.id },
    { header: 'CREATED', value: (a) => a.createdAt },
  ]);

const accountFields = (a: Account) =>
  formatFields([
    ['ID', a.id], ['Name', a.name], ['Kind', a.kind], ['Status', a.status], ['Currency', a.currency], ['Email', a.email],
    ['Tax rate', a.taxRate], ['Parent', a.parent ? `${a.parent.name} (${a.parent.id})` : null], ['Created', a.createdAt],
  ]);

const keyFields = (key: ApiKey) =>
  formatFields([['Key ID', key.id], ['Name', key.name], ['Role', key.role], ['Account', `${key.account.name} (${key.account.id})`], ['Created', key.createdAt], ['Last used', key.lastUsedAt]]);

const secretOf = (key: ApiKeyWithSecret) => `\nAPI key (shown once, keep it): ${key.secret}\n`;

/** Accounts (a reseller's customers, ADMIN's resellers) and their API keys. */
export function registerAccounts(program: Command, io: CliIo): void {
  const group = program.command('accounts').description('accounts: yours, your customers (a reseller), everyone (ADMIN)');
  action<PageVariables & { parent?: string }>(
    paged(group.command('list').description('the accounts you may see').option('--parent <id>', "only this account's customers")),
    io,
    async (session, { options }) => {
      session.printPage((await session.client().request(accounts, { ...pageOf(options), parentId: options.parent })).accounts, accountsTable);
    },
    { parentId: '--parent', first: '--first', after: '--after' },
  );
  action(group.command('get').description('one account').argument('<id>', 'the account'), io, async (session, { args: [id] }) => {
    const found = (await session.client().request(account, { id })).account;
    if (!found) throw new ApiError('NOT_FOUND', `account ${id}`);
    session.print(found, accountFields);
  });
  action(group.command('me').description("the account of the key in use"), io, async (session) => {
    session.print((await session.client().request(me, {})).me, (a) => formatFields([['ID', a.id], ['Name', a.name], ['Kind', a.kind], ['Status', a.status], ['Currency', a.currency]]));
  });
  action<{ name: string; kind: 'RESELLER' | 'CUSTOMER'; email?: string; currency?: string; taxRate?: string; parent?: string }>(
    group
      .command('create')
      .description("create an account and its first key (ADMIN: resellers; a reseller: its customers); prints the key's secret once")
      .requiredOption('--name <name>', "the account's name")
      .addOption(choiceOption('--kind <kind>', 'RESELLER or CUSTOMER', ['RESELLER', 'CUSTOMER']).makeOptionMandatory())
      .option('--email <email>', 'where its invoices go')
      .option('--currency <code>', "its currency, e.g. EUR (default: its parent's)")
      .option('--tax-rate <rate>', 'the tax rate on its invoices, e.g. 0.20', decimal)
      .option('--parent <id>', 'its parent account (default: yours, for a reseller)'),
    io,
    async (session, { options }) => {
      const { createAccount: created } = await session.client().request(createAccount, {
        input: { name: options.name, kind: options.kind, email: options.email, currency: options.currency, taxRate: options.taxRate, parentId: options.parent },
      });
      session.print(created, (c) => accountFields(c.account) + secretOf(c.apiKey));
    },
    { 'input.name': '--name', 'input.kind': '--kind', 'input.email': '--email', 'input.currency': '--currency', 'input.taxRate': '--tax-rate', 'input.parentId': '--parent' },
  );

  const keys = program.command('keys').description('API keys: create one for an account you manage, revoke one');
  action<{ account: string; name: string; role: Role }>(
    keys
      .command('create')
      .description("create an API key; prints its secret once")
      .requiredOption('--account <id>', 'the account it acts for')
      .requiredOption('--name <name>', 'a name to tell it by, e.g. ci or books')
      .addOption(choiceOption('--role <role>', "what it may do: the account's own kind, or FINANCE", ROLES).makeOptionMandatory()),
    io,
    async (session, { options }) => {
      const { createApiKey: created } = await session.client().request(createApiKey, { input: { accountId: options.account, name: options.name, role: options.role } });
      session.print(created, (k) => keyFields(k.apiKey) + secretOf(k));
    },
    { 'input.accountId': '--account', 'input.name': '--name', 'input.role': '--role' },
  );
  action(keys.command('revoke').description('revoke an API key: refused from then on, its sockets closed').argument('<id>', "the key's id (not its secret)"), io, async (session, { args: [id] }) => {
    session.print((await session.client().request(revokeApiKey, { id })).revokeApiKey, keyFields);
  });
}
