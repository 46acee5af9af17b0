import { deciderSpec } from '#libs/testing';
import { ipDecider, type IpEvent, type TargetInstance } from './ip.decider.js';

const spec = deciderSpec(ipDecider);
const allocation = {
  ipId: 'ip-1', address: '198.51.100.20', family: 'IPV4' as const, regionId: 'r1', accountId: 'acct-1', floating: true,
  poolId: 'r1-ipv4', prefixLength: 24, gateway: '198.51.100.1',
};
const allocated: IpEvent = { type: 'IpAllocated', data: allocation };
const own: IpEvent = { type: 'IpAllocated', data: { ...allocation, floating: false, instanceId: 'i-1' } };
const instance = (id: string, changes: Partial<TargetInstance> = {}): TargetInstance => ({
  instanceId: id, accountId: 'acct-1', regionId: 'r1', ended: false, ...changes,
});
const assigned = (instanceId: string): IpEvent => ({ type: 'IpAssigned', data: { ipId: 'ip-1', instanceId } });
const unassigned: IpEvent = { type: 'IpUnassigned', data: { ipId: 'ip-1' } };
const released: IpEvent = { type: 'IpReleased', data: { ipId: 'ip-1' } };

describe('an IP address', () => {
  it('is allocated once', () => {
    spec.given([]).when({ type: 'AllocateIp', allocation }).then([allocated]);
    spec.given([allocated]).when({ type: 'AllocateIp', allocation }).then([]);
  });

  describe('floating', () => {
    it('is assigned to an instance of its account and region, moved to another, unassigned and released', () => {
      spec.given([allocated]).when({ type: 'AssignIp', instance: instance('i-1') }).then([assigned('i-1')]);
      spec.given([allocated, assigned('i-1')]).when({ type: 'AssignIp', instance: instance('i-1') }).then([]);
      spec.given([allocated, assigned('i-1')]).when({ type: 'AssignIp', instance: instance('i-2') }).then([unassigned, assigned('i-2')]);
      spec.given([allocated, assigned('i-1')]).when({ type: 'UnassignIp' }).then([unassigned]);
      spec.given([allocated, assigned('i-1')]).when({ type: 'ReleaseIp', bySystem: false }).then([unassigned, released]);
      spec.given([allocated, released]).when({ type: 'ReleaseIp', bySystem: false }).then([]);
    });

    it('never goes to another account\'s instance (NOT_FOUND), another region\'s, or a deleted one', () => {
      spec.given([allocated]).when({ type: 'AssignIp', instance: instance('i-9', { accountId: 'acct-2' }) }).thenThrows('instance not found');
      spec.given([allocated]).when({ type: 'AssignIp', instance: instance('i-1', { regionId: 'r2' }) })
        .thenThrows('instanceId: the instance is in region r2, the address in r1');
      spec.given([allocated]).when({ type: 'AssignIp', instance: instance('i-1', { ended: true }) }).thenThrows(/deleted/);
    });
  });

  it('of an instance stays with it and goes when it goes', () => {
    spec.given([own]).when({ type: 'AssignIp', instance: instance('i-2') }).thenThrows(/only a floating address moves/);
    spec.given([own]).when({ type: 'ReleaseIp', bySystem: false }).thenThrows(/released with its instance/);
    spec.given([own]).when({ type: 'ReleaseIp', bySystem: true }).then([released]);
  });

  it('carries a PTR name until it is cleared, and nothing once released', () => {
    spec.given([allocated]).when({ type: 'SetReverseDns', hostname: 'mail.example.com' })
      .then([{ type: 'ReverseDnsSet', data: { ipId: 'ip-1', hostname: 'mail.example.com' } }]);
    spec.given([allocated, { type: 'ReverseDnsSet', data: { ipId: 'ip-1', hostname: 'mail.example.com' } }])
      .when({ type: 'SetReverseDns', hostname: null }).then([{ type: 'ReverseDnsCleared', data: { ipId: 'ip-1' } }]);
    spec.given([allocated]).when({ type: 'SetReverseDns', hostname: null }).then([]);
    spec.given([allocated, released]).when({ type: 'SetReverseDns', hostname: 'a.example.com' }).thenThrows(/is released/);
  });

  it('is NOT_FOUND before it was allocated', () => {
    spec.given([]).when({ type: 'UnassignIp' }).thenThrows('IP address not found');
  });
});
