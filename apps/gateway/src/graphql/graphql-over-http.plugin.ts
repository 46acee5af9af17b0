import type { ApolloServerPlugin } from '@apollo/server';

/**
 * GraphQL over HTTP: a client that accepts only `application/json` (not the newer
 * `application/graphql-response+json`) gets a request error (a query that does not parse or
 * validate, a variable of the wrong type) with status 200 and the errors in the body, as the
 * specification recommends; Apollo Server answers 400 to everyone. Every answer is
 * `cache-control: no-store`: each is the caller's own, as of now (Apollo's cache control plugin,
 * which said so after weighing each field's hints, of which the schema has none, is not installed:
 * it ran code of its own for every field of every response).
 */
export const graphqlOverHttpPlugin: ApolloServerPlugin = {
  async requestDidStart({ request }) {
    const accept = request.http?.headers.get('accept') ?? '';
    const legacyClient = accept.includes('application/json') && !accept.includes('application/graphql-response+json');
    return {
      async willSendResponse({ response }) {
        if (legacyClient && response.http.status === 400) response.http.status = 200;
        response.http.headers.set('cache-control', 'no-store');
      },
    };
  },
};
