import { createClient, type Client } from 'graphql-ws';
import type { TypedDocumentString } from '../gql/graphql.js';
import type { ApiErrorBody } from './field-errors.js';

/** The API refused or failed a request: its errors, each with its code and, for bad input, the field it names. */
export class ApiError extends Error {
  constructor(readonly errors: ApiErrorBody[]) {
    super(errors.map((e) => e.message).join('; '));
  }

  get code(): string | undefined {
    return this.errors[0]?.extensions?.code;
  }
}

/** The session's CSRF token: the awan_csrf cookie (readable by this page, unlike the HttpOnly session cookie). */
export function csrfToken(): string {
  return /(?:^|;\s*)awan_csrf=([^;]*)/.exec(document.cookie)?.[1] ?? '';
}

const signedOutListeners = new Set<() => void>();

/** Called when the API says the session ended (expired, signed out elsewhere): the console goes back to sign-in. */
export function onSignedOut(listener: () => void): () => void {
  signedOutListeners.add(listener);
  return () => signedOutListeners.delete(listener);
}

/** A JSON request to one of the gateway's endpoints (/graphql, /auth, /store), its errors as ApiError. */
export async function send<T>(path: string, init: RequestInit): Promise<T> {
  let response: Response;
  try {
    response = await fetch(path, { ...init, credentials: 'same-origin', headers: { 'content-type': 'application/json', 'x-csrf-token': csrfToken(), ...init.headers } });
  } catch {
    throw new ApiError([{ message: 'Awan did not answer: check your connection and try again', extensions: { code: 'UNAVAILABLE' } }]);
  }
  const body = (await response.json().catch(() => ({}))) as { data?: T; errors?: ApiErrorBody[] } & T;
  if (body.errors?.length) {
    if (body.errors.some((e) => e.extensions?.code === 'UNAUTHENTICATED') && path !== '/auth/sign-in') signedOutListeners.forEach((listener) => listener());
    throw new ApiError(body.errors);
  }
  if (!response.ok) throw new ApiError([{ message: `Awan answered ${response.status}`, extensions: { code: 'INTERNAL_SERVER_ERROR' } }]);
  return body;
}

/** One GraphQL operation, typed from the contract by GraphQL Code Generator. */
export async function request<Result, Variables>(document: TypedDocumentString<Result, Variables>, ...[variables]: Variables extends Record<string, never> ? [] : [Variables]): Promise<Result> {
  const body = await send<{ data: Result }>('/graphql', { method: 'POST', body: JSON.stringify({ query: document.toString(), variables }) });
  return body.data;
}

export interface Person {
  id: string;
  email: string;
  name: string;
  role: 'ADMIN' | 'RESELLER' | 'CUSTOMER' | 'FINANCE';
  accountId: string;
  totpEnabled: boolean;
}

/** People's REST endpoints under /auth (docs/api.md, "People sign in"). */
export const auth = {
  session: () => send<{ user: Person }>('/auth/session', { method: 'GET' }).then((b) => b.user),
  signIn: (input: { email: string; password: string; totp?: string }) =>
    send<{ user: Person }>('/auth/sign-in', { method: 'POST', body: JSON.stringify(input) }).then((b) => b.user),
  signOut: () => send<{ signedOut: boolean }>('/auth/sign-out', { method: 'POST', body: '{}' }),
  setPassword: (input: { token: string; password: string }) =>
    send<{ user: Person }>('/auth/password', { method: 'POST', body: JSON.stringify(input) }).then((b) => b.user),
};

let socket: Client | null = null;

/** The page's one graphql-ws socket to /graphql: the browser sends the session cookie with it, the CSRF token goes as a connection parameter. */
function subscriptions(): Client {
  socket ??= createClient({
    url: `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/graphql`,
    connectionParams: () => ({ csrfToken: csrfToken() }),
    lazy: true,
    // A server restart or a dropped connection: back within these, else the pages say live updates stopped.
    retryAttempts: 10,
  });
  return socket;
}

/** Closes the socket (at sign-out: it belonged to the session). */
export function closeSubscriptions(): void {
  void socket?.dispose();
  socket = null;
}

/** A subscription's events, until the returned function is called. */
export function subscribe<Result, Variables>(
  document: TypedDocumentString<Result, Variables>,
  variables: Variables,
  onData: (data: Result) => void,
  onError: (error: ApiError) => void,
): () => void {
  return subscriptions().subscribe<Result>(
    { query: document.toString(), variables: variables as Record<string, unknown> },
    {
      next: (result) => {
        if (result.errors?.length) onError(new ApiError(result.errors as ApiErrorBody[]));
        else if (result.data) onData(result.data);
      },
      error: () => onError(new ApiError([{ message: 'live updates stopped: reload the page', extensions: { code: 'UNAVAILABLE' } }])),
      complete: () => undefined,
    },
  );
}
