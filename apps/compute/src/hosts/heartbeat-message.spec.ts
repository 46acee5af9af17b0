import type { Msg } from '@nats-io/transport-node';
import { AppError, type HostHeartbeat } from '#libs/contracts';
import { heartbeatOf } from './heartbeat-message.js';

const beat = (hostId: string) => ({ hostId, name: hostId, regionId: 'local' }) as HostHeartbeat;
/** A received message as NATS hands it over: its subject and its JSON body. */
const received = (subject: string, body: unknown) => ({ subject, json: () => body }) as unknown as Msg;

describe('a heartbeat as its subject vouches for it', () => {
  it("takes a heartbeat on its own host's subject", () => {
    expect(heartbeatOf(received('agent.heartbeat.h1', beat('h1')))).toEqual(beat('h1'));
  });

  it('refuses one that speaks for another host than the one whose credentials could publish it', () => {
    const error = (() => {
      try {
        heartbeatOf(received('agent.heartbeat.h1', beat('h2')));
      } catch (e) {
        return e as AppError;
      }
    })();
    expect(error).toMatchObject({ code: 'BAD_USER_INPUT', field: 'heartbeat.hostId' });
    expect(() => heartbeatOf(received('agent.heartbeat.h1', null))).toThrow('a heartbeat on agent.heartbeat.h1 names host undefined');
  });
});
