import { readAgentConfig } from '../host/agent-config.js';
import { FenceTimer, readWatchdogArguments, watchdogArguments } from './fence-timer.js';

describe('the fence timer', () => {
  it('fences once the control plane has been away longer than the timeout, and only once', () => {
    const timer = new FenceTimer(6000, 0);
    expect(timer.due(6000)).toBe(false);
    expect(timer.due(6001)).toBe(true);
    expect(timer.fenced).toBe(true);
    expect(timer.due(9000)).toBe(false);
  });

  it('starts over at each contact, and fences again after a new loss', () => {
    const timer = new FenceTimer(6000, 0);
    timer.contact(5000);
    expect(timer.due(10_000)).toBe(false);
    expect(timer.due(11_001)).toBe(true);
    timer.contact(12_000);
    expect(timer.due(18_000)).toBe(false);
    expect(timer.due(18_001)).toBe(true);
  });

  it('fences again a second after a fence that failed, until one succeeds or contact comes back', () => {
    const timer = new FenceTimer(6000, 0);
    expect(timer.due(6001)).toBe(true);
    expect(timer.retrying).toBe(false);
    timer.failed(6500);
    expect(timer.fenced).toBe(false);
    expect(timer.retrying).toBe(true);
    expect(timer.due(7000)).toBe(false);
    expect(timer.due(7500)).toBe(true);
    expect(timer.due(9000)).toBe(false); // that one succeeded
    timer.failed(9100);
    timer.contact(9200);
    expect(timer.retrying).toBe(false);
    expect(timer.due(10_200)).toBe(false);
    expect(timer.due(15_201)).toBe(true);
  });
});

describe("the watchdog's arguments", () => {
  const agent = readAgentConfig({ HOST_ID: 'h1', AGENT_DATA_DIR: '/var/lib/awan/agent', FENCE_TIMEOUT_MS: '4000' });

  it("carry the agent's configuration whole, after its data folder on its own", () => {
    const args = watchdogArguments(agent);
    expect(args[0]).toBe('/var/lib/awan/agent');
    expect(readWatchdogArguments(args)).toEqual(agent);
  });

  it('are refused when they are not what an agent gives', () => {
    expect(() => readWatchdogArguments(['/var/lib/awan/agent'])).toThrow(/started by the host agent/);
    expect(() => readWatchdogArguments(['/elsewhere', JSON.stringify(agent)])).toThrow(/started by the host agent/);
  });
});
