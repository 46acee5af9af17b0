import { hostPermissions, servicePermissions, claimsPermissions, type UserPermissions } from './permissions.js';

/** NATS's subject matching: `*` one token, `>` one or more at the end. */
function matches(pattern: string, subject: string): boolean {
  const p = pattern.split('.');
  const s = subject.split('.');
  for (let i = 0; i < p.length; i++) {
    if (p[i] === '>') return s.length > i;
    if (i >= s.length || (p[i] !== '*' && p[i] !== s[i])) return false;
  }
  return p.length === s.length;
}
const mayPublish = (permissions: UserPermissions, subject: string) =>
  permissions.pub.allow.some((p) => matches(p, subject)) && !(permissions.pub.deny ?? []).some((p) => matches(p, subject));
const maySubscribe = (permissions: UserPermissions, subject: string) => permissions.sub.allow.some((p) => matches(p, subject));

describe('NATS permissions', () => {
  describe("a host's agent", () => {
    const host = hostPermissions('h1');

    it("publishes its own heartbeat and its own console sessions' output, nothing else", () => {
      expect(mayPublish(host, 'agent.heartbeat.h1')).toBe(true);
      expect(mayPublish(host, 'agent.h1.console.s1.out')).toBe(true);
      for (const subject of [
        'agent.heartbeat.h2', 'compute.instance.create', 'billing.invoice.csv', 'events.compute.instance.InstanceStarted', '$JS.API.INFO', 'agent.h2.instance.start',
        'agent.h2.console.s1.out', 'agent.h1.console.s1.in', 'agent.h2.console.s1.in', 'agent.h1.console.open',
      ]) {
        expect(mayPublish(host, subject)).toBe(false);
      }
    });

    it("answers every command to its own host, whatever the command's name, and hears nothing else", () => {
      for (const command of ['instance.create', 'instance.migrate.send', 'image.import', 'network.checkPrefix', 'health']) {
        expect(maySubscribe(host, `agent.h1.${command}`)).toBe(true);
        expect(maySubscribe(host, `agent.h2.${command}`)).toBe(false);
      }
      for (const subject of ['agent.heartbeat.h2', 'agent.>', 'compute.>', '_INBOX.x.y', 'events.billing.invoice.InvoiceFinalized']) {
        expect(maySubscribe(host, subject)).toBe(false);
      }
      expect(host.resp).toEqual({ max: 1, ttl: 3_600_000_000_000 });
    });

    it('is never made for a host whose commands would be the heartbeats, or an id that is not a label', () => {
      expect(() => hostPermissions('heartbeat')).toThrow('no credentials for a host named "heartbeat"');
      expect(() => hostPermissions('h1.>')).toThrow();
      expect(() => hostPermissions('*')).toThrow();
    });
  });

  it('lets compute command every host but never publish a heartbeat, and hear every heartbeat', () => {
    const compute = servicePermissions('compute');
    expect(mayPublish(compute, 'agent.h1.instance.create')).toBe(true);
    expect(mayPublish(compute, 'agent.h7.image.import')).toBe(true);
    expect(mayPublish(compute, 'agent.heartbeat.h1')).toBe(false);
    expect(maySubscribe(compute, 'agent.heartbeat.h1')).toBe(true);
    expect(maySubscribe(compute, 'agent.h1.instance.create')).toBe(false);
    // Of network, only a new instance's addresses and the filters its hosts are to enforce.
    expect(mayPublish(compute, 'network.instance.address')).toBe(true);
    expect(mayPublish(compute, 'network.filter.ofInstances')).toBe(true);
    expect(mayPublish(compute, 'network.firewall.attach')).toBe(false);
    expect(mayPublish(compute, 'network.ip.allocate')).toBe(false);
  });

  it("lets the gateway ask the public services and the agents' health, and hear compute's instance events", () => {
    const gateway = servicePermissions('gateway');
    for (const subject of ['compute.instance.create', 'network.ip.allocate', 'billing.invoice.csv', 'agent.h1.health']) expect(mayPublish(gateway, subject)).toBe(true);
    for (const subject of ['agent.h1.instance.stop', 'agent.heartbeat.h1', 'events.compute.instance.InstanceStarted']) expect(mayPublish(gateway, subject)).toBe(false);
    expect(maySubscribe(gateway, 'events.compute.instance.InstanceStarted')).toBe(true);
    // A console session: the browser's input to the host, the host's output back; never a command, nor the host's side.
    expect(mayPublish(gateway, 'agent.h1.console.s1.in')).toBe(true);
    expect(maySubscribe(gateway, 'agent.h1.console.s1.out')).toBe(true);
    for (const subject of ['agent.h1.console.s1.out', 'agent.h1.console.open', 'agent.h1.console.s1.in.x']) expect(mayPublish(gateway, subject)).toBe(false);
    expect(maySubscribe(gateway, 'agent.h1.console.s1.in')).toBe(false);
    expect(maySubscribe(gateway, 'events.billing.invoice.InvoiceFinalized')).toBe(false);
    expect(maySubscribe(gateway, 'compute.instance.create')).toBe(false);
  });

  it("lets network ask compute only for the regions and a prefix's check, and billing ask no one", () => {
    const network = servicePermissions('network');
    expect(mayPublish(network, 'compute.catalog.regions')).toBe(true);
    expect(mayPublish(network, 'compute.region.checkPrefix')).toBe(true);
    expect(mayPublish(network, 'agent.h1.network.checkPrefix')).toBe(false);
    expect(mayPublish(network, 'compute.instance.create')).toBe(false);
    for (const service of ['compute', 'network', 'gateway'] as const) expect(mayPublish(servicePermissions('billing'), `${service}.health`)).toBe(false);
  });

  it('has each service answer its own subjects only, with replies in inboxes of its own', () => {
    for (const service of ['gateway', 'compute', 'network', 'billing'] as const) {
      const permissions = servicePermissions(service);
      expect(maySubscribe(permissions, `${service}.health`)).toBe(true);
      expect(maySubscribe(permissions, `_INBOX.${service}.abc.1`)).toBe(true);
      expect(maySubscribe(permissions, '_INBOX.abc.1')).toBe(false);
      for (const other of ['gateway', 'compute', 'network', 'billing'].filter((s) => s !== service)) {
        expect(maySubscribe(permissions, `${other}.health`)).toBe(false);
        expect(maySubscribe(permissions, `_INBOX.${other}.abc.1`)).toBe(false);
      }
      expect(permissions.resp).toBeDefined();
    }
  });

  it('has each service publish only its own events and dead letters, and use JetStream for the streams it owns or consumes, never deleting one', () => {
    const billing = servicePermissions('billing');
    expect(mayPublish(billing, 'events.billing.invoice.InvoiceFinalized')).toBe(true);
    expect(mayPublish(billing, 'events.compute.instance.InstanceStarted')).toBe(false);
    expect(mayPublish(billing, 'deadletter.billing.billing-instances')).toBe(true);
    expect(mayPublish(billing, 'deadletter.compute.compute-provisioner')).toBe(false);
    for (const stream of ['BILLING', 'BILLING_DEADLETTER', 'COMPUTE', 'NETWORK', 'IDENTITY']) {
      expect(mayPublish(billing, `$JS.API.CONSUMER.MSG.NEXT.${stream}.billing-instances`)).toBe(true);
      expect(mayPublish(billing, `$JS.API.CONSUMER.CREATE.${stream}.billing-instances.events.compute.instance.>`)).toBe(true);
      expect(mayPublish(billing, `$JS.ACK.${stream}.billing-instances.1.2.3.4.5`)).toBe(true);
      expect(mayPublish(billing, `$JS.API.STREAM.DELETE.${stream}`)).toBe(false);
      expect(mayPublish(billing, `$JS.API.CONSUMER.DELETE.${stream}.billing-instances`)).toBe(false);
    }
    expect(mayPublish(billing, '$JS.API.STREAM.MSG.GET.BILLING')).toBe(true);
    expect(mayPublish(billing, '$JS.API.STREAM.MSG.GET.COMPUTE')).toBe(false);
    const network = servicePermissions('network');
    expect(mayPublish(network, '$JS.API.CONSUMER.MSG.NEXT.BILLING.network-x')).toBe(false);
    expect(mayPublish(network, '$JS.API.CONSUMER.MSG.NEXT.COMPUTE.network-addressing')).toBe(true);
    // The gateway's events are identity's.
    expect(mayPublish(servicePermissions('gateway'), 'events.identity.account.AccountCreated')).toBe(true);
  });

  it("lets the system account's user only read and push the Awan account's JWT", () => {
    const claims = claimsPermissions('AACCOUNT');
    expect(mayPublish(claims, '$SYS.REQ.CLAIMS.UPDATE')).toBe(true);
    expect(mayPublish(claims, '$SYS.REQ.ACCOUNT.AACCOUNT.CLAIMS.LOOKUP')).toBe(true);
    expect(mayPublish(claims, '$SYS.REQ.ACCOUNT.AOTHER.CLAIMS.LOOKUP')).toBe(false);
    expect(mayPublish(claims, '$SYS.REQ.SERVER.PING.CONNZ')).toBe(false);
    expect(claims.resp).toBeUndefined();
  });
});
