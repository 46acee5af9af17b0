import { readNetworkConfig } from './network.config.js';

describe("network's configuration", () => {
  it('holds addresses back an hour, runs no DNS responder and names ns1.awan.test, unless told otherwise', () => {
    expect(readNetworkConfig({})).toEqual({ quarantineSeconds: 3600, dnsPort: null, dnsNameserver: 'ns1.awan.test' });
    expect(readNetworkConfig({ IP_QUARANTINE_SECONDS: '3', DNS_PORT: '5353', DNS_NAMESERVER: 'NS.Example.com.' }))
      .toEqual({ quarantineSeconds: 3, dnsPort: 5353, dnsNameserver: 'ns.example.com' });
  });

  it.each([
    [{ IP_QUARANTINE_SECONDS: '1h' }, 'IP_QUARANTINE_SECONDS must be a number of seconds, got "1h"'],
    [{ DNS_PORT: '65536' }, 'DNS_PORT must be a UDP port number, got "65536"'],
    [{ DNS_NAMESERVER: 'ns1' }, 'DNS_NAMESERVER must be a host name of two or more labels, e.g. ns1.example.com, got "ns1"'],
    [{ DNS_NAMESERVER: '192.0.2.53' }, 'DNS_NAMESERVER must be a host name'],
  ])('refuses %j, naming the variable', (env, message) => {
    expect(() => readNetworkConfig(env)).toThrow(message);
  });
});
