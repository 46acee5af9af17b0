import { createClient, type Client } from 'graphql-ws';

export interface GraphqlError {
  message: string;
  extensions?: { code?: string; field?: string };
}

export interface GraphqlResponse<T = Record<string, any>> {
  data?: T | null;
  errors?: GraphqlError[];
}

/** A client of the GraphQL API as an integrator writes one: HTTP POST with a Bearer key, graphql-ws for subscriptions. */
export class GraphqlClient {
  constructor(
    readonly url: string,
    readonly key?: string,
  ) {}

  as(key: string): GraphqlClient {
    return new GraphqlClient(this.url, key);
  }

  async request<T = Record<string, any>>(query: string, variables?: Record<string, unknown>): Promise<GraphqlResponse<T>> {
    const response = await fetch(this.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json', ...(this.key ? { authorization: `Bearer ${this.key}` } : {}) },
      body: JSON.stringify({ query, variables }),
    });
    return (await response.json()) as GraphqlResponse<T>;
  }

  /** The data, or the errors thrown as one Error. */
  async data<T = Record<string, any>>(query: string, variables?: Record<string, unknown>): Promise<T> {
    const { data, errors } = await this.request<T>(query, variables);
    if (errors?.length) throw new Error(`${errors.map((e) => `${e.extensions?.code}: ${e.message}`).join('; ')}\nin ${query}`);
    return data!;
  }

  /** A graphql-ws connection with this client's key, on Node's own WebSocket; `close()` it when done. */
  subscriptions(): Client {
    return createClient({ url: this.url.replace(/^http/, 'ws'), connectionParams: { authorization: `Bearer ${this.key}` }, lazy: false, retryAttempts: 0 });
  }
}
