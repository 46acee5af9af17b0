import type { ArgumentsHost } from '@nestjs/common';
import { AppError } from '#libs/contracts';
import { ClientErrors } from './client-errors.filter.js';
import { RequestFault } from './format-error.js';

/** A resolver's call as Nest hands it to a filter: (root, args, context, info). */
const resolverCall = (correlationId: string) =>
  ({ getType: () => 'graphql', getArgs: () => [{}, {}, { correlationId }, {}], getArgByIndex: (i: number) => [{}, {}, { correlationId }, {}][i] }) as unknown as ArgumentsHost;

describe('what a resolver throws', () => {
  const filter = new ClientErrors();

  it("goes to GraphQL as it is when it is the caller's answer", () => {
    const refusal = AppError.notFound('instance 1');
    expect(filter.catch(refusal, resolverCall('request-1'))).toBe(refusal);
  });

  it("goes as a fault under the request's correlation id otherwise, an INTERNAL from a service too", () => {
    const crash = new TypeError('x is undefined');
    expect(filter.catch(crash, resolverCall('request-2'))).toEqual(expect.objectContaining({ correlationId: 'request-2', fault: crash }));
    expect(filter.catch(crash, resolverCall('request-2'))).toBeInstanceOf(RequestFault);
    const internal = AppError.fromWire({ code: 'INTERNAL', message: 'internal error' });
    expect(filter.catch(internal, resolverCall('request-3'))).toMatchObject({ correlationId: 'request-3', fault: internal });
  });
});
