import type { ClientProxy } from '@nestjs/microservices';
import { NEVER, Subject, throwError, type Observable } from 'rxjs';
import { ServiceClient } from './service-client.js';

/** A ServiceClient over a fake transport: `send` is what every request gets, `status` the connection's changes. */
const clientOver = (send: () => Observable<unknown>, status: Observable<string> = NEVER) => new ServiceClient({ send, status, on: () => undefined } as unknown as ClientProxy);
const failingWith = (failure: unknown) => clientOver(() => throwError(() => failure));

describe('ServiceClient failures', () => {
  it.each([
    ['an Error from the transport', new Error('CONNECTION_REFUSED')],
    // What Nest's NATS client rejects with between a disconnect and the reconnect to a restarted server.
    ['the string Nest rejects with while NATS reconnects', 'Error: Connection lost. Trying to reconnect...'],
  ])('reports %s as UNAVAILABLE, safe to retry', async (_case, failure) => {
    await expect(failingWith(failure).call('compute.instance.get', { id: 'i-1', accountIds: 'platform' })).rejects.toMatchObject({ code: 'UNAVAILABLE', message: expect.stringContaining('compute.instance.get') });
  });

  it("raises a service's refusal with its code", async () => {
    await expect(failingWith({ code: 'NOT_FOUND', message: 'instance i-1 not found' }).call('compute.instance.get', { id: 'i-1', accountIds: 'platform' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('fails a request in flight as UNAVAILABLE when the connection drops, long before its deadline', async () => {
    const status = new Subject<string>();
    const request = clientOver(() => NEVER, status).callAgent('h1', 'instance.create', {} as never, 300_000);
    status.next('connected');
    status.next('disconnected');
    await expect(request).rejects.toMatchObject({ code: 'UNAVAILABLE', message: 'agent.h1.instance.create: the connection to NATS dropped before an answer came' });
  });

  it("waits out a service request's deadline when the connection drops: the service may have it, and may answer once it is back", async () => {
    const status = new Subject<string>();
    const answer = new Subject<unknown>();
    const started = performance.now();
    const request = clientOver(() => answer, status).call('compute.instance.get', { id: 'i-1', accountIds: 'platform' }, 300);
    status.next('disconnected');
    const outcome = await Promise.race([request.catch((e: unknown) => e), new Promise((resolve) => setTimeout(() => resolve('still waiting'), 100))]);
    expect(outcome).toBe('still waiting');
    await expect(request).rejects.toMatchObject({ code: 'UNAVAILABLE', message: 'compute.instance.get did not answer within 300 ms' });
    expect(performance.now() - started).toBeGreaterThanOrEqual(295);
  });
});
