import { getOperationAST, parse } from 'graphql';
import { metricsRegistry } from '#libs/metrics';
import { MAX_OPERATION_LABELS, metricsPlugin, operationLabel } from './metrics.plugin.js';

const operationOf = (query: string) => getOperationAST(parse(query))!;

/** One request through the plugin, as Apollo drives it: started, then answered with `errors`. */
async function serve(plugin: ReturnType<typeof metricsPlugin>, query: string, errors?: { extensions?: Record<string, unknown> }[]) {
  const hooks = await plugin.requestDidStart!({} as never);
  await hooks!.willSendResponse!({ operation: operationOf(query), response: { body: { kind: 'single', singleResult: { errors } } } } as never);
}

const countOf = async (labels: string) =>
  Number(new RegExp(`^awan_graphql_operation_duration_seconds_count\\{${labels}\\} (\\d+)$`, 'm').exec(await metricsRegistry.metrics())?.[1] ?? 0);

describe('GraphQL operation metrics', () => {
  it('names an operation by its root fields, whatever the client called it', () => {
    expect(operationLabel(operationOf('query Mine { me { id } instances(first: 2) { totalCount } }'))).toBe('me,instances');
    expect(operationLabel(operationOf('mutation { createInstance(input: {}) { id } }'))).toBe('createInstance');
    expect(operationLabel(undefined)).toBe('unknown');
  });

  it('counts each operation by name, type and the code its caller got', async () => {
    const plugin = metricsPlugin();
    await serve(plugin, '{ me { id } }');
    await serve(plugin, '{ me { id } }');
    await serve(plugin, 'mutation { createInstance(input: {}) { id } }', [{ extensions: { code: 'RATE_LIMITED' } }]);
    expect(await countOf('operation="me",type="query",code="OK"')).toBe(2);
    expect(await countOf('operation="createInstance",type="mutation",code="RATE_LIMITED"')).toBe(1);
  });

  it('keeps its labels few: past the bound, operations count as other', async () => {
    const plugin = metricsPlugin();
    for (let i = 0; i < MAX_OPERATION_LABELS + 5; i++) await serve(plugin, `{ f${i} }`);
    expect(await countOf(`operation="f${MAX_OPERATION_LABELS - 1}",type="query",code="OK"`)).toBe(1);
    expect(await countOf(`operation="f${MAX_OPERATION_LABELS}",type="query",code="OK"`)).toBe(0);
    expect(await countOf('operation="other",type="query",code="OK"')).toBe(5);
  });
});
