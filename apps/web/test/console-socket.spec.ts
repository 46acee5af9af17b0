import { consoleClosedMessage } from '../src/console/console-socket.js';

describe("a console's end in words", () => {
  it("gives the gateway's reason and what to do next", () => {
    expect(consoleClosedMessage(4409, 'the instance is STOPPING')).toBe('The console closed: the instance is STOPPING; the instance is not running: start it, then open the console.');
    expect(consoleClosedMessage(4408, 'no traffic for 900 s')).toBe('The console closed: no traffic for 900 s; it was idle for too long: open it again.');
    expect(consoleClosedMessage(1000, 'the container stopped')).toBe('The console ended: the container stopped.');
    expect(consoleClosedMessage(1000, '')).toBe('The console ended.');
  });

  it('says a refused link is to be opened again, whatever the gateway told the socket', () => {
    expect(consoleClosedMessage(4401, 'the console token is unknown, used or expired: open the console again'))
      .toBe('The console closed: the console link was used or expired, or your session ended: open the console again.');
  });

  it('falls back on the code where nothing else is known', () => {
    expect(consoleClosedMessage(1006, '')).toBe('The console closed (1006).');
    expect(consoleClosedMessage(1011, "the instance's host has not answered for 30 s")).toBe("The console closed: the instance's host has not answered for 30 s.");
  });
});
