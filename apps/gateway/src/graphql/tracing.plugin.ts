import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ApolloServerPlugin } from '@apollo/server';
import { context, ROOT_CONTEXT, SpanKind, trace } from '@opentelemetry/api';
import { awanTracer, markFailed } from '#libs/tracing';
import type { GatewayContext } from './gateway-context.js';

/**
 * Each request to the GraphQL endpoint is a span, the root of the trace its requests to the
 * services continue, ended when its response is. The rest of the request (Apollo, the resolvers,
 * what they ask) runs inside it: one context entered here, none per field. A request the sampler
 * leaves out runs outside any: it sends no trace context, and nothing downstream traces it (nor
 * does the plugin below). Only where the gateway traces.
 */
export function traceGraphqlRequests(_request: IncomingMessage, response: ServerResponse, next: () => void): void {
  const span = awanTracer().startSpan('graphql', { kind: SpanKind.SERVER }, ROOT_CONTEXT);
  if (!span.isRecording()) return next();
  response.once('close', () => span.end());
  context.with(trace.setSpan(ROOT_CONTEXT, span), next);
}

/**
 * Names a request's span for its operation: `graphql createInstance`, for its root fields whatever
 * the client called the operation (which is graphql.operation.name). Errors mark it failed by their
 * code; only INTERNAL and UNAVAILABLE are the gateway's faults.
 */
export const tracingPlugin: ApolloServerPlugin<GatewayContext> = {
  async requestDidStart() {
    const span = trace.getActiveSpan();
    if (!span) return; // a request that came another way (none does over HTTP)
    return {
      async didResolveOperation({ operation, operationName }) {
        if (!operation) return; // no such operation: GraphQL answers that, and the span keeps its bare name
        const fields = operation.selectionSet.selections.flatMap((selection) => (selection.kind === 'Field' ? [selection.name.value] : []));
        span.updateName(`graphql ${fields.join(',') || operation.operation}`);
        span.setAttributes({ 'graphql.operation.type': operation.operation, ...(operationName ? { 'graphql.operation.name': operationName } : {}) });
      },
      async didEncounterErrors({ errors }) {
        const code = String(errors[0].extensions?.code ?? 'INTERNAL');
        markFailed(span, code, code === 'INTERNAL' || code === 'UNAVAILABLE', errors[0].originalError ?? errors[0]);
      },
    };
  },
};
