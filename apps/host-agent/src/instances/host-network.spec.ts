import { overlapWithHost, type HostNetworkUse } from './host-network.js';

/** This kind of machine: eth0 on 192.0.2.0/24 with its gateway .1, and its package mirror at 203.0.113.80 through /etc/hosts. */
const machine: HostNetworkUse = {
  routes: [
    { dst: '192.0.2.0/24', dev: 'eth0' },
    { dst: 'fd00::/64', dev: 'eth0' },
    { dst: '198.51.100.0/25', dev: 'awanbr0' },
  ],
  addresses: [
    { address: '192.0.2.1', what: "the host's default gateway" },
    { address: '203.0.113.80', what: "the host's address for registry.npmjs.org (/etc/hosts)" },
  ],
};

describe("a bridge's gateway beside what the host reaches already", () => {
  it.each([
    ['192.0.2.1/24', '192.0.2.1/24 overlaps the host\'s route 192.0.2.0/24 on eth0'],
    ['192.0.2.129/25', '192.0.2.129/25 overlaps the host\'s route 192.0.2.0/24 on eth0'],
    ['192.0.0.1/16', '192.0.0.1/16 overlaps the host\'s route 192.0.2.0/24 on eth0'],
    ['fd00::1/48', 'fd00::1/48 overlaps the host\'s route fd00::/64 on eth0'],
    ['203.0.113.1/24', "203.0.113.1/24 covers 203.0.113.80, the host's address for registry.npmjs.org (/etc/hosts)"],
    ['203.0.113.1/25', "203.0.113.1/25 covers 203.0.113.80, the host's address for registry.npmjs.org (/etc/hosts)"],
  ])('refuses %s', (prefix, reason) => {
    expect(overlapWithHost(prefix, 'awanbr0', machine)).toBe(reason);
  });

  it.each(['203.0.113.129/25', '198.51.100.1/25', '2001:db8:113::1/64', '198.51.100.193/26'])('lets %s on', (prefix) => {
    // The bridge's own route (198.51.100.0/25 on awanbr0) is no obstacle to itself.
    expect(overlapWithHost(prefix, 'awanbr0', machine)).toBeNull();
  });

  it("refuses a prefix that overlaps another bridge's route", () => {
    expect(overlapWithHost('198.51.100.1/25', 'awbr2', machine)).toBe("198.51.100.1/25 overlaps the host's route 198.51.100.0/25 on awanbr0");
  });
});
