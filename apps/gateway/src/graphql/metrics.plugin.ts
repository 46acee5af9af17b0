import type { ApolloServerPlugin } from '@apollo/server';
import type { OperationDefinitionNode } from 'graphql';
import { histogram, LATENCY_BUCKETS, secondsSince } from '#libs/metrics';
import type { GatewayContext } from './gateway-context.js';

/** Distinct operation labels at most: past them an operation counts as `other`, however clients combine root fields. */
export const MAX_OPERATION_LABELS = 200;

const operations = histogram<'operation' | 'type' | 'code'>({
  name: 'awan_graphql_operation_duration_seconds',
  help: 'GraphQL operations over HTTP: how long each took, by operation (its root fields), type and result code (OK, or its first error\'s code).',
  labelNames: ['operation', 'type', 'code'],
  buckets: LATENCY_BUCKETS,
});

/** An operation's name as a label: its root fields, as its trace span is named (what the client called it is its own, and unbounded). */
export function operationLabel(operation: OperationDefinitionNode | null | undefined): string {
  if (!operation) return 'unknown';
  const fields = operation.selectionSet.selections.flatMap((selection) => (selection.kind === 'Field' ? [selection.name.value] : []));
  return fields.join(',') || operation.operation;
}

/**
 * Times each GraphQL operation over HTTP from its arrival to its response, by operation and result
 * code: a refusal (RATE_LIMITED, BAD_USER_INPUT…) counts with its code. Registered where the
 * gateway measures itself (METRICS).
 */
export function metricsPlugin(): ApolloServerPlugin<GatewayContext> {
  const labels = new Set<string>();
  const bounded = (label: string) => {
    if (labels.has(label)) return label;
    if (labels.size >= MAX_OPERATION_LABELS) return 'other';
    labels.add(label);
    return label;
  };
  return {
    async requestDidStart() {
      const started = performance.now();
      return {
        async willSendResponse({ operation, response }) {
          // The errors as the caller gets them, with their contract codes (formatGraphqlError).
          const errors = response.body.kind === 'single' ? response.body.singleResult.errors : undefined;
          const code = errors?.length ? String(errors[0].extensions?.code ?? 'INTERNAL_SERVER_ERROR') : 'OK';
          operations.observe({ operation: bounded(operationLabel(operation)), type: operation?.operation ?? 'unknown', code }, secondsSince(started));
        },
      };
    },
  };
}
