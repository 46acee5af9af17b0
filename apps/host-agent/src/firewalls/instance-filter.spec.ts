import { formatAddress, parseAddress, type InstanceSpec } from '#libs/contracts';
import { filterFromSpec, validFilter } from './instance-filter.js';
import { formatMac, linkLocalOf, parseMac, parsePrefix } from './ip-addresses.js';

const instanceId = '5f1c0e1a-7b2d-4c3e-8f40-123456789abc';
const filter = (overrides: Record<string, unknown> = {}) => ({ instanceId, revision: 2, addresses: ['198.51.100.10'], firewall: null, ...overrides });
const firewall = (ingress: unknown[], egress: unknown[] | null = null) => filter({ firewall: { ingress, egress } });
const tcp = (overrides: Record<string, unknown> = {}) => ({ protocol: 'TCP', ports: { from: 22, to: 22 }, addresses: ['0.0.0.0/0'], ...overrides });

describe('prefixes and MAC addresses as the rulesets take them', () => {
  it('clears the host bits of a prefix, and refuses a length its family lacks', () => {
    expect(parsePrefix('198.51.100.77/26')).toEqual({ family: 'IPV4', base: parseAddress('198.51.100.64')!.value, length: 26 });
    expect(parsePrefix('2001:db8::1/32')).toEqual({ family: 'IPV6', base: parseAddress('2001:db8::')!.value, length: 32 });
    expect(parsePrefix('198.51.100.0/33')).toBeNull();
    expect(parsePrefix('198.51.100.0/024')).toBeNull();
    expect(parsePrefix('198.51.100.0')).toBeNull();
  });

  it("takes a guest's link-local address from its MAC", () => {
    const mac = parseMac('52:54:00:AB:cd:EF')!;
    expect(formatMac(mac)).toBe('52:54:00:ab:cd:ef');
    expect(formatAddress(linkLocalOf(mac))).toBe('fe80::5054:ff:feab:cdef');
    expect(parseMac('52:54:00:ab:cd')).toBeNull();
  });
});

describe('a filter as the agent takes it', () => {
  it('normalises addresses and prefixes, and keeps what it was given otherwise', () => {
    expect(
      validFilter(
        filter({
          addresses: ['198.51.100.10', '2001:DB8::A', '198.51.100.10'],
          firewall: { ingress: [tcp({ addresses: ['198.51.100.77/24', '::/0'] })], egress: [{ protocol: 'ICMP', ports: null, addresses: ['0.0.0.0/0'] }] },
        }),
      ),
    ).toEqual({
      instanceId,
      revision: 2,
      addresses: ['198.51.100.10', '2001:db8::a'],
      firewall: {
        ingress: [{ protocol: 'TCP', ports: { from: 22, to: 22 }, addresses: ['198.51.100.0/24', '::/0'] }],
        egress: [{ protocol: 'ICMP', ports: null, addresses: ['0.0.0.0/0'] }],
      },
    });
  });

  it.each([
    [filter({ instanceId: '../../etc' }), 'filter.instanceId'],
    [filter({ revision: -1 }), 'filter.revision'],
    [filter({ revision: 1.5 }), 'filter.revision'],
    [filter({ addresses: ['198.51.100.10/32'] }), 'filter.addresses[0]'],
    [filter({ addresses: '198.51.100.10' }), 'filter.addresses'],
    [filter({ firewall: 'open' }), 'filter.firewall'],
    [firewall([tcp({ protocol: 'SCTP' })]), 'filter.firewall.ingress[0].protocol'],
    [firewall([tcp({ ports: { from: 0, to: 22 } })]), 'filter.firewall.ingress[0].ports.from'],
    [firewall([tcp({ ports: { from: 22, to: 65_536 } })]), 'filter.firewall.ingress[0].ports.to'],
    [firewall([tcp({ ports: { from: '22', to: 22 } })]), 'filter.firewall.ingress[0].ports.from'],
    [firewall([tcp({ ports: { from: 90, to: 80 } })]), 'filter.firewall.ingress[0].ports'],
    [firewall([tcp({ ports: '22' })]), 'filter.firewall.ingress[0].ports'],
    [firewall([tcp({ protocol: 'ICMP' })]), 'filter.firewall.ingress[0].ports'],
    [firewall([tcp({ addresses: [] })]), 'filter.firewall.ingress[0].addresses'],
    [firewall([tcp({ addresses: ['0.0.0.0/0', 'any'] })]), 'filter.firewall.ingress[0].addresses[1]'],
    [firewall([], [tcp({ addresses: ['198.51.100.0/24 } accept'] })]), 'filter.firewall.egress[0].addresses[0]'],
    [firewall(Array.from({ length: 251 }, () => tcp())), 'filter.firewall.ingress'],
  ])('refuses %j naming %s', (input, field) => {
    expect(() => validFilter(input)).toThrow(expect.objectContaining({ code: 'BAD_USER_INPUT', field }));
  });

  it("refuses another instance's filter", () => {
    expect(() => validFilter(filter(), 'filter', '00000000-0000-4000-8000-000000000000')).toThrow(expect.objectContaining({ field: 'filter.instanceId' }));
  });

  it("is its spec's own addresses, and no firewall, where the host was never given one", () => {
    const spec = { instanceId, network: { bridge: 'awanbr0', ipv4: '198.51.100.10/24', ipv6: '2001:db8::a/64' } } as InstanceSpec;
    expect(filterFromSpec(spec)).toEqual({ instanceId, revision: 0, addresses: ['198.51.100.10', '2001:db8::a'], firewall: null });
  });
});
