import type { ApolloServerPlugin } from '@apollo/server';
import { ROOT_CONTEXT, SpanKind, trace, type Context } from '@opentelemetry/api';
import { awanTracer, markFailed } from '#libs/tracing';
import type { GatewayContext } from './gateway-context.js';

const operations = new WeakMap<GatewayContext, Context>();

/** The trace context of the operation a resolver works for; undefined where it is not traced. */
export function operationTraceContext(context: GatewayContext): Context | undefined {
  return operations.get(context);
}

/**
 * Each GraphQL operation over HTTP is a span, the root of the trace its requests to the services
 * continue: `graphql createInstance`, named for its root fields whatever the client called the
 * operation (which is graphql.operation.name). Errors mark it failed by their code; only INTERNAL
 * and UNAVAILABLE are the gateway's faults. Registered only where the gateway traces.
 */
export const tracingPlugin: ApolloServerPlugin<GatewayContext> = {
  async requestDidStart({ contextValue }) {
    const span = awanTracer().startSpan('graphql', { kind: SpanKind.SERVER }, ROOT_CONTEXT);
    operations.set(contextValue, trace.setSpan(ROOT_CONTEXT, span));
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
      async willSendResponse() {
        span.end();
      },
    };
  },
};
