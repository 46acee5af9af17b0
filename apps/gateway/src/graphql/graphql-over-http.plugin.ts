import type { ApolloServerPlugin } from '@apollo/server';

/**
 * GraphQL over HTTP: a client that accepts only `application/json` (not the newer
 * `application/graphql-response+json`) gets a request error (a query that does not parse or
 * validate, a variable of the wrong type) with status 200 and the errors in the body, as the
 * specification recommends; Apollo Server answers 400 to everyone.
 */
export const graphqlOverHttpPlugin: ApolloServerPlugin = {
  async requestDidStart({ request }) {
    const accept = request.http?.headers.get('accept') ?? '';
    const legacyClient = accept.includes('application/json') && !accept.includes('application/graphql-response+json');
    return {
      async willSendResponse({ response }) {
        if (legacyClient && response.http.status === 400) response.http.status = 200;
      },
    };
  },
};
