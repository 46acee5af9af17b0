import { type AccountKind, type AccountStatus, AppError } from '#libs/contracts';
import type { Decider, DomainEvent } from '#libs/event-store';

export const ROLES = ['ADMIN', 'RESELLER', 'CUSTOMER', 'FINANCE'] as const;
export type Role = (typeof ROLES)[number];

/**
 * An API key (`apikey-<id>`): a Bearer secret of an account, acting in one role. Only the
 * secret's SHA-256 is kept: the secret is 256 random bits, so its hash cannot be searched back.
 */
export type ApiKeyEvent =
  | DomainEvent<'ApiKeyCreated', { apiKeyId: string; accountId: string; name: string; role: Role; secretHash: string }>
  | DomainEvent<'ApiKeyRevoked', { apiKeyId: string; accountId: string }>;

export type ApiKeyCommand =
  | {
      type: 'CreateApiKey';
      apiKeyId: string;
      account: { id: string; kind: AccountKind; status: AccountStatus };
      name: unknown;
      role: unknown;
      secretHash: string;
    }
  | { type: 'RevokeApiKey' };

export interface ApiKeyState {
  id: string | null;
  accountId: string | null;
  revoked: boolean;
}

export const apiKeyStreamId = (apiKeyId: string) => `apikey-${apiKeyId}`;

/** The roles a key of each kind of account may carry: ADMIN is the platform's alone. */
export const ROLES_OF: Record<AccountKind, readonly Role[]> = {
  PLATFORM: ['ADMIN', 'FINANCE'],
  RESELLER: ['RESELLER', 'FINANCE'],
  CUSTOMER: ['CUSTOMER', 'FINANCE'],
};

const NAME = /^[^\p{Cc}]{1,100}$/u;

export const apiKeyDecider: Decider<ApiKeyCommand, ApiKeyState, ApiKeyEvent> = {
  initialState: () => ({ id: null, accountId: null, revoked: false }),

  decide(command, state) {
    switch (command.type) {
      case 'CreateApiKey': {
        if (state.id) throw AppError.conflict(`API key ${command.apiKeyId} exists already`);
        const name = typeof command.name === 'string' ? command.name.trim() : '';
        if (!NAME.test(name)) throw AppError.badInput('input.name', 'must be 1 to 100 characters, no control characters');
        if (!ROLES.includes(command.role as Role)) throw AppError.badInput('input.role', `must be one of ${ROLES.join(', ')}`);
        const role = command.role as Role;
        const { account } = command;
        if (!ROLES_OF[account.kind].includes(role)) {
          throw AppError.badInput('input.role', `a ${account.kind} account's keys are ${ROLES_OF[account.kind].join(' or ')}`);
        }
        if (account.status === 'CLOSED') throw AppError.conflict(`account ${account.id} is CLOSED`);
        return [{ type: 'ApiKeyCreated', data: { apiKeyId: command.apiKeyId, accountId: account.id, name, role, secretHash: command.secretHash } }];
      }
      case 'RevokeApiKey':
        if (!state.id || !state.accountId) throw AppError.notFound('API key');
        return state.revoked ? [] : [{ type: 'ApiKeyRevoked', data: { apiKeyId: state.id, accountId: state.accountId } }];
    }
  },

  evolve(state, event) {
    switch (event.type) {
      case 'ApiKeyCreated':
        return { ...state, id: event.data.apiKeyId, accountId: event.data.accountId };
      case 'ApiKeyRevoked':
        return { ...state, revoked: true };
    }
  },
};
