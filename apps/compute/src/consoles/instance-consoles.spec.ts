import type { ConsoleOpenedData } from '#libs/contracts';
import { fold } from '#libs/event-store';
import { deciderSpec } from '#libs/testing';
import { instanceDecider, type InstanceEvent } from '../instances/instance.decider.js';

const spec = deciderSpec(instanceDecider);
const instance = (kind: 'VM' | 'CONTAINER'): InstanceEvent[] => [
  {
    type: 'InstanceRequested',
    data: { instanceId: '5f0e6a2c-1111-4222-8333-944455556666', accountId: 'acc-1', name: 'web-1', kind, imageId: 'img', planId: 'plan', regionId: 'local', billingCycle: 'HOURLY' },
  },
  { type: 'InstanceScheduled', data: { hostId: 'node-1' } },
  { type: 'InstanceAddressed', data: { addresses: [] } },
  { type: 'InstanceStarted', data: {} },
];
const running = instance('VM');
const sessionId = '0d9a3c57-6b1e-4f7a-9c38-2f4e5d6a7b8c';
const session: ConsoleOpenedData = { sessionId, kind: 'SERIAL', accountId: 'acc-1', role: 'CUSTOMER', apiKeyId: 'key-1' };
const opened: InstanceEvent = { type: 'ConsoleOpened', data: session };
const closed = (durationMs: number, reason: string): InstanceEvent => ({ type: 'ConsoleClosed', data: { sessionId, kind: 'SERIAL', durationMs, reason } });
const open = (over: Partial<ConsoleOpenedData> = {}) => ({ type: 'OpenConsole' as const, session: { ...session, ...over } });

describe("an instance's console sessions", () => {
  it('are opened on a running instance, once per session, and closed once with how long they lasted and why', () => {
    spec.given(running).when(open()).then([opened]);
    spec.given([...running, opened]).when(open()).then([]);
    spec.given([...running, opened]).when({ type: 'CloseConsole', sessionId, durationMs: 4200, reason: 'the browser closed it' })
      .then([closed(4200, 'the browser closed it')]);
    spec.given([...running, opened, closed(4200, 'x')]).when({ type: 'CloseConsole', sessionId, durationMs: 1, reason: 'again' }).then([]);
    // A session never opened has nothing to close.
    spec.given(running).when({ type: 'CloseConsole', sessionId, durationMs: 1, reason: 'x' }).then([]);
  });

  it('change nothing else: not the status, not its version, not an operation under way', () => {
    const before = fold(instanceDecider, running);
    const after = fold(instanceDecider, [...running, opened, closed(10, 'x')]);
    expect({ ...after, version: before.version }).toEqual({ ...before, consoles: {} });
    const stopping: InstanceEvent[] = [...running, opened, { type: 'InstanceStopRequested', data: { force: false } }];
    const state = fold(instanceDecider, [...stopping, closed(10, 'the instance stopped')]);
    expect(state.status).toBe('STOPPING');
    expect(state.operation).toEqual(fold(instanceDecider, stopping).operation);
    expect(state.statusVersion).toBe(fold(instanceDecider, stopping).statusVersion);
  });

  it('are closed in any status: the instance may have stopped or gone meanwhile', () => {
    const deleted: InstanceEvent[] = [...running, opened, { type: 'InstanceDeletionRequested', data: {} }, { type: 'InstanceDeleted', data: {} }];
    spec.given(deleted).when({ type: 'CloseConsole', sessionId, durationMs: 99, reason: 'the instance was deleted' }).then([closed(99, 'the instance was deleted')]);
  });

  it('are opened while a running guest reboots or grows in place, as they stay open through both', () => {
    spec.given([...running, { type: 'InstanceRebootRequested', data: {} }]).when(open()).then([opened]);
    spec.given([...running, { type: 'InstanceResizeRequested', data: { fromPlanId: 'plan', toPlanId: 'bigger' } }]).when(open()).then([opened]);
    const stoppedThenResizing: InstanceEvent[] = [
      ...running, { type: 'InstanceStopRequested', data: { force: false } }, { type: 'InstanceStopped', data: {} },
      { type: 'InstanceResizeRequested', data: { fromPlanId: 'plan', toPlanId: 'bigger' } },
    ];
    spec.given(stoppedThenResizing).when(open()).thenThrows(expect.objectContaining({ code: 'CONFLICT' }) as never);
  });

  it.each(['STOPPED', 'STOPPING'])('are refused as CONFLICT on an instance that is %s', (status) => {
    const history: InstanceEvent[] = [...running, { type: 'InstanceStopRequested', data: { force: false } }];
    if (status === 'STOPPED') history.push({ type: 'InstanceStopped', data: {} });
    spec.given(history).when(open()).thenThrows(expect.objectContaining({ code: 'CONFLICT', message: expect.stringContaining(`an instance that is ${status}`) }) as never);
  });

  it("give VNC to VMs only, and refuse anything but a session's UUID and a console kind, naming the field", () => {
    spec.given(running).when(open({ kind: 'VNC' })).then([{ ...opened, data: { ...session, kind: 'VNC' } }]);
    expect(() => instanceDecider.decide(open({ kind: 'VNC' }), fold(instanceDecider, instance('CONTAINER')))).toThrow(expect.objectContaining({ code: 'BAD_USER_INPUT', field: 'kind' }));
    expect(() => instanceDecider.decide(open({ kind: 'RDP' as never }), fold(instanceDecider, running))).toThrow(expect.objectContaining({ code: 'BAD_USER_INPUT', field: 'kind' }));
    expect(() => instanceDecider.decide(open({ sessionId: 'x.>' }), fold(instanceDecider, running))).toThrow(expect.objectContaining({ code: 'BAD_USER_INPUT', field: 'sessionId' }));
  });

  it('keep a reason to a bounded length and a duration to a whole, non-negative number of milliseconds', () => {
    spec.given([...running, opened]).when({ type: 'CloseConsole', sessionId, durationMs: -5, reason: 'r'.repeat(2000) }).then([closed(0, 'r'.repeat(500))]);
  });
});
