import { readWholeNumber } from '#libs/platform';
import { normalizeHostname } from './ip-range.js';

/** What network reads from its environment beyond every service's (README, Configuration). */
export interface NetworkConfig {
  /** How long a released address rests before it is handed out again. */
  quarantineSeconds: number;
  /** The floating addresses an account may hold in a region, counting those it released within the quarantine (FLOATING_IPS_PER_ACCOUNT). */
  floatingIpsPerAccount: number;
  /** The firewalls an account may hold (FIREWALLS_PER_ACCOUNT). */
  firewallsPerAccount: number;
  /** How long a command on a firewall may queue behind its others: an answer well inside the gateway's 15 s. */
  firewallQueueWaitMs: number;
  /** The DNS responder's UDP port; null runs none. */
  dnsPort: number | null;
  /** The server authoritative for network's zones, named in their SOA and NS records. */
  dnsNameserver: string;
}

/** Read once at start; a bad value stops the process with the variable named. */
export function readNetworkConfig(env: NodeJS.ProcessEnv): NetworkConfig {
  const nameserver = env.DNS_NAMESERVER ?? 'ns1.awan.test';
  const dnsNameserver = normalizeHostname(nameserver);
  // The SOA's mailbox is hostmaster at the nameserver's domain, so the name needs one beyond its own label.
  if (dnsNameserver === null) throw new Error(`DNS_NAMESERVER must be a host name of two or more labels, e.g. ns1.example.com, got "${nameserver}"`);
  return {
    quarantineSeconds: readWholeNumber('IP_QUARANTINE_SECONDS', 3600, { expected: 'a number of seconds' }, env),
    floatingIpsPerAccount: readWholeNumber('FLOATING_IPS_PER_ACCOUNT', 16, { expected: 'a number of addresses' }, env),
    firewallsPerAccount: readWholeNumber('FIREWALLS_PER_ACCOUNT', 100, { expected: 'a number of firewalls' }, env),
    firewallQueueWaitMs: 10_000,
    dnsPort: readWholeNumber('DNS_PORT', 0, { expected: 'a UDP port number', max: 65535 }, env) || null,
    dnsNameserver,
  };
}
