import { AppError, type FirewallRule } from '#libs/contracts';
import { deciderSpec } from '#libs/testing';
import { filterRuleOf } from './firewall-rules.js';
import { firewallDecider, type AttachTarget, type FirewallCommand, type FirewallEvent } from './firewall.decider.js';

const spec = deciderSpec(firewallDecider);
const ssh: FirewallRule = { direction: 'INGRESS', protocol: 'TCP', ports: '22', addresses: ['0.0.0.0/0', '::/0'], description: 'ssh' };
const ping: FirewallRule = { direction: 'INGRESS', protocol: 'ICMP', ports: null, addresses: ['198.51.100.0/24'], description: null };
const instance = (id: string, changes: Partial<AttachTarget> = {}): AttachTarget => ({ instanceId: id, accountId: 'acct-1', ended: false, firewalls: 0, ...changes });
const create = (changes: Partial<Extract<FirewallCommand, { type: 'CreateFirewall' }>> = {}): FirewallCommand => ({
  type: 'CreateFirewall', firewallId: 'fw-1', accountId: 'acct-1', name: 'web', rules: [ssh], instances: [], ...changes,
});
const created: FirewallEvent = { type: 'FirewallCreated', data: { firewallId: 'fw-1', accountId: 'acct-1', name: 'web', rules: [ssh] } };
const attached = (instanceId: string): FirewallEvent => ({ type: 'FirewallAttached', data: { firewallId: 'fw-1', instanceId, name: 'web' } });
const detached = (instanceId: string, reason: 'detached' | 'instance deleted' = 'detached'): FirewallEvent => ({
  type: 'FirewallDetached', data: { firewallId: 'fw-1', instanceId, name: 'web', reason },
});
const deleted: FirewallEvent = { type: 'FirewallDeleted', data: { firewallId: 'fw-1' } };

/** The refusal of `rules` as setFirewallRules states them: its code, field and message. */
function refusalOf(rules: unknown): AppError {
  try {
    firewallDecider.decide({ type: 'SetFirewallRules', rules }, firewallDecider.evolve(firewallDecider.initialState(), created));
  } catch (error) {
    return error as AppError;
  }
  throw new Error('the rules were accepted');
}
const rule = (changes: Record<string, unknown>) => ({ ...ssh, ...changes });
/** `count` distinct /32s of the `block`th 256 addresses of 198.51.100.0/22. */
const cidrs = (count: number, block: number) => Array.from({ length: count }, (_, i) => `198.51.${100 + block}.${i}/32`);

describe('a firewall', () => {
  it('is created with its rules in their canonical form, attached at once to the instances named', () => {
    spec.given([]).when(create()).then([created]);
    const loose = { direction: 'INGRESS', protocol: 'TCP', ports: ' 8000 - 8100 ', addresses: ['2001:DB8:0::/32', '2001:db8::/32', '192.0.2.0/24'] };
    spec.given([]).when(create({ rules: [loose, { ...ssh, ports: '443-443', description: '' }] })).then([{
      type: 'FirewallCreated',
      data: {
        firewallId: 'fw-1', accountId: 'acct-1', name: 'web', rules: [
          { direction: 'INGRESS', protocol: 'TCP', ports: '8000-8100', addresses: ['2001:db8::/32', '192.0.2.0/24'], description: null },
          { ...ssh, ports: '443', description: null },
        ],
      },
    }]);
    spec.given([]).when(create({ instances: [instance('i-1'), instance('i-2', { firewalls: 4 }), instance('i-1')] }))
      .then([created, attached('i-1'), attached('i-2')]);
  });

  it('is named with an RFC 1123 label', () => {
    spec.given([]).when(create({ name: 'Web_1' })).thenThrows(/^input\.name: must be an RFC 1123 label/);
    spec.given([]).when(create({ name: '' })).thenThrows(/^input\.name/);
  });

  describe('refuses bad rules as BAD_USER_INPUT naming the rule and its field', () => {
    it.each([
      ['ports below 1', [ssh, rule({ ports: '0' })], 'rules[1].ports', 'ports are 1 to 65535, not 0'],
      ['ports above 65535', [rule({ ports: '65536' })], 'rules[0].ports', 'ports are 1 to 65535, not 65536'],
      ['a range ending above 65535', [rule({ ports: '8000-70000' })], 'rules[0].ports', 'ports are 1 to 65535, not 70000'],
      ['a reversed range', [rule({ ports: '8100-8000' })], 'rules[0].ports', 'a range goes from the lower port to the higher: 8000-8100, not 8100-8000'],
      ['ports that are no port', [rule({ ports: '22,80' })], 'rules[0].ports', 'must be a port (22) or a range (8000-8100), or null for every port'],
      ['ports on ICMP', [rule({ protocol: 'ICMP', ports: '8' })], 'rules[0].ports', 'ICMP has no ports: leave them null'],
      ['a CIDR with host bits', [rule({ addresses: ['0.0.0.0/0', '192.0.2.1/24'] })], 'rules[0].addresses[1]', '192.0.2.1/24: is not a network address: the host bits are set (the network is 192.0.2.0/24)'],
      ['an IPv6 CIDR with host bits', [rule({ addresses: ['2001:db8::1/64'] })], 'rules[0].addresses[0]', '2001:db8::1/64: is not a network address: the host bits are set (the network is 2001:db8::/64)'],
      ['a prefix longer than its family', [rule({ addresses: ['192.0.2.0/33'] })], 'rules[0].addresses[0]', '192.0.2.0/33: a prefix length is at most 32 for IPV4'],
      ['an address without its prefix length', [rule({ addresses: ['192.0.2.7'] })], 'rules[0].addresses[0]', '192.0.2.7: must be a prefix in CIDR notation'],
      ['no addresses', [rule({ addresses: [] })], 'rules[0].addresses', 'must list at least one CIDR of the remote side (0.0.0.0/0 and ::/0 for anyone)'],
      ['an unknown direction', [rule({ direction: 'IN' })], 'rules[0].direction', 'must be INGRESS or EGRESS'],
      ['an unknown protocol', [rule({ protocol: 'SCTP' })], 'rules[0].protocol', 'must be TCP, UDP or ICMP'],
      ['a description too long', [rule({ description: 'x'.repeat(256) })], 'rules[0].description', 'must be text of at most 255 characters'],
      ['more than 50 rules', Array.from({ length: 51 }, () => ssh), 'rules', 'a firewall holds at most 50 rules, not 51'],
      ['more than 250 CIDRs in all', [0, 1, 2].map((block) => rule({ addresses: cidrs(100, block) })), 'rules', 'a firewall\'s rules name at most 250 CIDRs together, not 300'],
      ['no list', 'all', 'rules', 'must be a list of rules'],
    ])('%s', (_case, rules, field, message) => {
      const error = refusalOf(rules);
      expect(error).toBeInstanceOf(AppError);
      expect(error).toMatchObject({ code: 'BAD_USER_INPUT', field });
      expect(error.message).toContain(`${field}: ${message}`);
    });

    it('named under input when the firewall is created', () => {
      spec.given([]).when(create({ rules: [rule({ ports: '8100-8000' })] })).thenThrows(/^input\.rules\[0\]\.ports: a range goes/);
    });

    it('and takes 250 CIDRs in all, counted once each in a rule', () => {
      const rules = [rule({ addresses: cidrs(100, 0) }), rule({ addresses: cidrs(100, 1) }), rule({ addresses: [...cidrs(50, 2), ...cidrs(40, 2)] })];
      spec.given([created]).when({ type: 'SetFirewallRules', rules }).then([{ type: 'FirewallRulesSet', data: { firewallId: 'fw-1', rules: [rule({ addresses: cidrs(100, 0) }), rule({ addresses: cidrs(100, 1) }), rule({ addresses: cidrs(50, 2) })], instanceIds: [] } }]);
    });

    it('and takes 50 rules, ICMP without ports and TCP or UDP on every port', () => {
      const fifty = Array.from({ length: 50 }, () => ping);
      spec.given([created]).when({ type: 'SetFirewallRules', rules: fifty })
        .then([{ type: 'FirewallRulesSet', data: { firewallId: 'fw-1', rules: fifty, instanceIds: [] } }]);
      spec.given([created]).when({ type: 'SetFirewallRules', rules: [rule({ protocol: 'UDP', ports: null })] })
        .then([{ type: 'FirewallRulesSet', data: { firewallId: 'fw-1', rules: [rule({ protocol: 'UDP', ports: null })], instanceIds: [] } }]);
    });
  });

  it('sets its rules naming the instances whose hosts enforce them, and nothing when they are the same', () => {
    spec.given([created, attached('i-1'), attached('i-2'), detached('i-1')]).when({ type: 'SetFirewallRules', rules: [ping] })
      .then([{ type: 'FirewallRulesSet', data: { firewallId: 'fw-1', rules: [ping], instanceIds: ['i-2'] } }]);
    spec.given([created]).when({ type: 'SetFirewallRules', rules: [{ ...ssh, addresses: ['::/0', '0.0.0.0/0', '::/0'] }] })
      .then([{ type: 'FirewallRulesSet', data: { firewallId: 'fw-1', rules: [{ ...ssh, addresses: ['::/0', '0.0.0.0/0'] }], instanceIds: [] } }]);
    spec.given([created]).when({ type: 'SetFirewallRules', rules: [ssh] }).then([]);
  });

  describe('attached', () => {
    it('to its own account\'s live instances, once each', () => {
      spec.given([created]).when({ type: 'AttachFirewall', instance: instance('i-1') }).then([attached('i-1')]);
      spec.given([created, attached('i-1')]).when({ type: 'AttachFirewall', instance: instance('i-1') }).then([]);
      spec.given([created, attached('i-1'), detached('i-1')]).when({ type: 'AttachFirewall', instance: instance('i-1') }).then([attached('i-1')]);
    });

    it('never to another account\'s instance, an unknown one or one that is gone: NOT_FOUND', () => {
      for (const target of [instance('i-9', { accountId: 'acct-2' }), instance('i-9', { accountId: null }), instance('i-9', { ended: true })]) {
        spec.given([created]).when({ type: 'AttachFirewall', instance: target }).thenThrows('instance i-9 not found');
        spec.given([]).when(create({ instances: [instance('i-1'), target] })).thenThrows('instance i-9 not found');
      }
    });

    it('to an instance holding fewer than 5 firewalls: the sixth is CONFLICT', () => {
      spec.given([created]).when({ type: 'AttachFirewall', instance: instance('i-1', { firewalls: 4 }) }).then([attached('i-1')]);
      spec.given([created]).when({ type: 'AttachFirewall', instance: instance('i-1', { firewalls: 5 }) })
        .thenThrows('instance i-1 has 5 firewalls attached, the most it may have: detach one first');
      spec.given([]).when(create({ instances: [instance('i-1', { firewalls: 5 })] })).thenThrows(/the most it may have/);
    });
  });

  it('is detached by its account or because the instance was deleted, and nothing when it was not attached', () => {
    spec.given([created, attached('i-1')]).when({ type: 'DetachFirewall', instanceId: 'i-1', reason: 'detached' }).then([detached('i-1')]);
    spec.given([created, attached('i-1')]).when({ type: 'DetachFirewall', instanceId: 'i-1', reason: 'instance deleted' })
      .then([detached('i-1', 'instance deleted')]);
    spec.given([created, attached('i-1')]).when({ type: 'DetachFirewall', instanceId: 'i-2', reason: 'detached' }).then([]);
  });

  it('is deleted only once detached from every instance: CONFLICT while attached', () => {
    spec.given([created, attached('i-1'), attached('i-2')]).when({ type: 'DeleteFirewall' })
      .thenThrows('firewall fw-1 is attached to instance i-1, i-2: detach it first');
    spec.given([created, attached('i-1'), detached('i-1')]).when({ type: 'DeleteFirewall' }).then([deleted]);
    spec.given([created, deleted]).when({ type: 'DeleteFirewall' }).then([]);
  });

  it('is NOT_FOUND before it is created and once deleted', () => {
    spec.given([]).when({ type: 'AttachFirewall', instance: instance('i-1') }).thenThrows('firewall not found');
    spec.given([created, deleted]).when({ type: 'AttachFirewall', instance: instance('i-1') }).thenThrows('firewall fw-1 not found');
    spec.given([created, deleted]).when({ type: 'SetFirewallRules', rules: [] }).thenThrows('firewall fw-1 not found');
    spec.given([created]).when(create()).thenThrows(AppError);
  });
});

describe('a rule as a host enforces it', () => {
  it('has its ports parsed, and its CIDRs of each family as stated', () => {
    expect(filterRuleOf({ ...ssh, ports: '8000-8100', addresses: ['0.0.0.0/0'] })).toEqual({ protocol: 'TCP', ports: { from: 8000, to: 8100 }, addresses: ['0.0.0.0/0'] });
    expect(filterRuleOf(ssh)).toEqual({ protocol: 'TCP', ports: { from: 22, to: 22 }, addresses: ['0.0.0.0/0', '::/0'] });
    expect(filterRuleOf(ping)).toEqual({ protocol: 'ICMP', ports: null, addresses: ['198.51.100.0/24'] });
  });
});
