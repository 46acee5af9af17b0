import { readNetworkConfig } from './network.config.js';

describe("network's configuration", () => {
  it('holds addresses back an hour, lets an account have 16 floating addresses a region and 100 firewalls, runs no DNS responder and names ns1.awan.test, unless told otherwise', () => {
    expect(readNetworkConfig({})).toEqual({ quarantineSeconds: 3600, floatingIpsPerAccount: 16, firewallsPerAccount: 100, firewallQueueWaitMs: 10_000, dnsPort: null, dnsNameserver: 'ns1.awan.test' });
    expect(readNetworkConfig({
      IP_QUARANTINE_SECONDS: '3', FLOATING_IPS_PER_ACCOUNT: '2', FIREWALLS_PER_ACCOUNT: '5', DNS_PORT: '5353', DNS_NAMESERVER: 'NS.Example.com.',
    })).toEqual({ quarantineSeconds: 3, floatingIpsPerAccount: 2, firewallsPerAccount: 5, firewallQueueWaitMs: 10_000, dnsPort: 5353, dnsNameserver: 'ns.example.com' });
  });

  it.each([
    [{ IP_QUARANTINE_SECONDS: '1h' }, 'IP_QUARANTINE_SECONDS must be a number of seconds, got "1h"'],
    [{ DNS_PORT: '65536' }, 'DNS_PORT must be a UDP port number, got "65536"'],
    [{ FLOATING_IPS_PER_ACCOUNT: 'many' }, 'FLOATING_IPS_PER_ACCOUNT must be a number of addresses, got "many"'],
    [{ DNS_NAMESERVER: 'ns1' }, 'DNS_NAMESERVER must be a host name of two or more labels, e.g. ns1.example.com, got "ns1"'],
    [{ DNS_NAMESERVER: '192.0.2.53' }, 'DNS_NAMESERVER must be a host name'],
  ])('refuses %j, naming the variable', (env, message) => {
    expect(() => readNetworkConfig(env)).toThrow(message);
  });
});
