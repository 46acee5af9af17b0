import type { InstanceFilter } from '#libs/contracts';
import { renderRuleset, renderTablesRemoval, type PortFilter } from './nft-ruleset.js';

const id = '5f1c0e1a-7b2d-4c3e-8f40-123456789abc';
const table = 'bridge awan-h1';

function portFilter(filter: Partial<InstanceFilter> = {}): PortFilter {
  return {
    port: 'awt0123456789ab',
    mac: '52:54:00:5f:1c:0e',
    filter: { instanceId: id, revision: 3, addresses: ['198.51.100.10', '2001:db8::a'], firewall: null, ...filter },
  };
}

/** The rules written into one of the instance's chains. */
function chain(text: string, name: string): string[] {
  const prefix = `add rule ${table} ${name}-${id} `;
  return text.split('\n').filter((line) => line.startsWith(prefix)).map((line) => line.slice(prefix.length));
}

describe("an instance's filter as an nftables ruleset", () => {
  it('makes the tables where missing and writes the base and shared chains again, each base chain a lookup of the port', () => {
    const text = renderRuleset({ name: 'awan-h1', replies: 'conntrack' }, []);
    expect(text).toBe(
      [
        'add table bridge awan-h1',
        'add map bridge awan-h1 spoof { type ifname : verdict; }',
        'add map bridge awan-h1 egress { type ifname : verdict; }',
        'add map bridge awan-h1 ingress { type ifname : verdict; }',
        'add chain bridge awan-h1 spoofing',
        'flush chain bridge awan-h1 spoofing',
        'add rule bridge awan-h1 spoofing ether type != { arp, ip, ip6 } drop',
        'add rule bridge awan-h1 spoofing arp htype != 1 drop',
        'add rule bridge awan-h1 spoofing arp ptype != ip drop',
        'add rule bridge awan-h1 spoofing arp hlen != 6 drop',
        'add rule bridge awan-h1 spoofing arp plen != 4 drop',
        // :: only for duplicate address detection.
        'add rule bridge awan-h1 spoofing ip6 saddr :: meta l4proto != ipv6-icmp drop',
        'add rule bridge awan-h1 spoofing ip6 saddr :: icmpv6 type != { nd-neighbor-solicit, mld-listener-report, mld2-listener-report } drop',
        'add rule bridge awan-h1 spoofing icmpv6 type { nd-router-advert, nd-redirect } drop',
        // DHCP and DHCPv6 servers' replies.
        'add rule bridge awan-h1 spoofing udp sport { 67, 547 } drop',
        'add chain bridge awan-h1 egress-always',
        'flush chain bridge awan-h1 egress-always',
        'add rule bridge awan-h1 egress-always ct state established,related accept',
        'add rule bridge awan-h1 egress-always ether type arp accept',
        'add rule bridge awan-h1 egress-always icmpv6 type { nd-router-solicit, nd-neighbor-solicit, nd-neighbor-advert, mld-listener-report, mld-listener-reduction, mld2-listener-report } accept',
        'add chain bridge awan-h1 ingress-always',
        'flush chain bridge awan-h1 ingress-always',
        'add rule bridge awan-h1 ingress-always ct state established,related accept',
        'add rule bridge awan-h1 ingress-always ether type arp accept',
        'add rule bridge awan-h1 ingress-always icmpv6 type { nd-router-advert, nd-neighbor-solicit, nd-neighbor-advert, mld-listener-query } accept',
        'add chain bridge awan-h1 prerouting { type filter hook prerouting priority -200; policy accept; }',
        'flush chain bridge awan-h1 prerouting',
        'add rule bridge awan-h1 prerouting iifname vmap @spoof',
        'add chain bridge awan-h1 forward-egress { type filter hook forward priority 0; policy accept; }',
        'flush chain bridge awan-h1 forward-egress',
        'add rule bridge awan-h1 forward-egress iifname vmap @egress',
        'add chain bridge awan-h1 forward-ingress { type filter hook forward priority 10; policy accept; }',
        'flush chain bridge awan-h1 forward-ingress',
        'add rule bridge awan-h1 forward-ingress oifname vmap @ingress',
        'add chain bridge awan-h1 input { type filter hook input priority 0; policy accept; }',
        'flush chain bridge awan-h1 input',
        'add rule bridge awan-h1 input iifname vmap @egress',
        'add chain bridge awan-h1 output { type filter hook output priority 0; policy accept; }',
        'flush chain bridge awan-h1 output',
        'add rule bridge awan-h1 output oifname vmap @ingress',
        '',
      ].join('\n'),
    );
  });

  it('marks replies in an inet table where bridged traffic is tracked through br_netfilter', () => {
    const text = renderRuleset({ name: 'awan-h1', replies: 'mark' }, []);
    expect(text).toContain('add rule bridge awan-h1 egress-always meta mark & 0x01000000 == 0x01000000 accept\n');
    expect(text).toContain(
      [
        'add table inet awan-h1',
        'add chain inet awan-h1 prerouting { type filter hook prerouting priority -150; policy accept; }',
        'flush chain inet awan-h1 prerouting',
        'add rule inet awan-h1 prerouting meta mark set meta mark & 0xfeffffff',
        'add rule inet awan-h1 prerouting ct state established,related meta mark set meta mark | 0x01000000',
        'add chain inet awan-h1 output { type filter hook output priority -150; policy accept; }',
      ].join('\n'),
    );
  });

  it('lets frames from the port carry only its MAC and its own addresses, and maps the port to its chains', () => {
    const text = renderRuleset({ name: 'awan-h1', replies: 'conntrack' }, [portFilter()]);
    expect(chain(text, 'spoof')).toEqual([
      'ether saddr != 52:54:00:5f:1c:0e drop',
      'jump spoofing',
      'arp saddr ether != 52:54:00:5f:1c:0e drop',
      `jump sources-${id}`,
      `icmpv6 type nd-neighbor-advert jump targets-${id}`,
      `ip6 saddr :: icmpv6 type nd-neighbor-solicit jump targets-${id}`,
      'icmpv6 type nd-neighbor-advert @th,192,16 0x0201 @th,208,48 != 0x5254005f1c0e drop',
      'icmpv6 type nd-neighbor-solicit @th,192,16 0x0101 @th,208,48 != 0x5254005f1c0e drop',
      'icmpv6 type nd-router-solicit @th,64,16 0x0101 @th,80,48 != 0x5254005f1c0e drop',
    ]);
    expect(chain(text, 'sources')).toEqual([
      'arp saddr ip 198.51.100.10 return',
      'ip saddr 198.51.100.10 return',
      'ip6 saddr 2001:db8::a return',
      // Its link-local address from its MAC (modified EUI-64), and :: (the shared checks keep it to duplicate address detection).
      'ip6 saddr fe80::5054:ff:fe5f:1c0e return',
      'ip6 saddr :: return',
      'drop',
    ]);
    // What it advertises, or checks for duplicates from ::, only its own addresses.
    expect(chain(text, 'targets')).toEqual([
      '@th,64,128 0x20010db800000000000000000000000a return',
      '@th,64,128 0xfe80000000000000505400fffe5f1c0e return',
      'drop',
    ]);
    // No firewall: nothing filtered either way.
    expect(chain(text, 'egress')).toEqual([]);
    expect(chain(text, 'ingress')).toEqual([]);
    // No set in an instance's rules: loading many at once stays linear.
    expect(text.split('\n').filter((line) => line.includes(id) && line.includes('{'))).toEqual([
      `add element ${table} spoof { "awt0123456789ab" : jump spoof-${id} }`,
      `add element ${table} egress { "awt0123456789ab" : jump egress-${id} }`,
      `add element ${table} ingress { "awt0123456789ab" : jump ingress-${id} }`,
    ]);
    expect(text).toContain(`add chain ${table} spoof-${id}\nflush chain ${table} spoof-${id}\n`);
  });

  it("writes only the port's own chains and map entries where the tables are in place", () => {
    const whole = renderRuleset({ name: 'awan-h1', replies: 'conntrack' }, [portFilter()]);
    const own = renderRuleset({ name: 'awan-h1', replies: 'conntrack', inPlace: true }, [portFilter()]);
    expect(own.startsWith(`# ${id} revision 3 on awt0123456789ab\n`)).toBe(true);
    expect(whole.endsWith(own)).toBe(true);
    expect(own.split('\n').filter((line) => /^(add|flush) (table|map|chain) /.test(line) && !line.includes(id))).toEqual([]);
  });

  it('lets no IPv4 or ARP out of an instance without an IPv4 address', () => {
    const text = renderRuleset({ name: 'awan-h1', replies: 'conntrack' }, [portFilter({ addresses: [] })]);
    expect(chain(text, 'sources')).toEqual(['ip6 saddr fe80::5054:ff:fe5f:1c0e return', 'ip6 saddr :: return', 'drop']);
  });

  it('lets in only what every firewall lets in and what the ingress rules allow, one rule per prefix', () => {
    const text = renderRuleset({ name: 'awan-h1', replies: 'conntrack' }, [
      portFilter({
        firewall: {
          ingress: [
            { protocol: 'TCP', ports: { from: 22, to: 22 }, addresses: ['0.0.0.0/0', '::/0'] },
            { protocol: 'UDP', ports: { from: 8000, to: 8100 }, addresses: ['198.51.100.0/24', '203.0.113.128/25'] },
            { protocol: 'ICMP', ports: null, addresses: ['2001:db8::/32'] },
            { protocol: 'TCP', ports: null, addresses: ['192.0.2.7/32'] },
          ],
          egress: null,
        },
      }),
    ]);
    expect(chain(text, 'ingress')).toEqual([
      'jump ingress-always',
      'ip saddr 0.0.0.0/0 tcp dport 22 accept',
      'ip6 saddr ::/0 tcp dport 22 accept',
      'ip saddr 198.51.100.0/24 udp dport 8000-8100 accept',
      'ip saddr 203.0.113.128/25 udp dport 8000-8100 accept',
      'ip6 saddr 2001:db8::/32 meta l4proto ipv6-icmp accept',
      'ip saddr 192.0.2.7/32 meta l4proto tcp accept',
      'drop',
    ]);
    // Without egress rules, outbound is not filtered.
    expect(chain(text, 'egress')).toEqual([]);
  });

  it('lets out only what every firewall lets out and what the egress rules allow, by destination', () => {
    const text = renderRuleset({ name: 'awan-h1', replies: 'mark' }, [
      portFilter({
        firewall: {
          ingress: [],
          egress: [
            { protocol: 'UDP', ports: { from: 53, to: 53 }, addresses: ['198.51.100.1/32'] },
            { protocol: 'ICMP', ports: null, addresses: ['0.0.0.0/0'] },
          ],
        },
      }),
    ]);
    expect(chain(text, 'egress')).toEqual(['jump egress-always', 'ip daddr 198.51.100.1/32 udp dport 53 accept', 'ip daddr 0.0.0.0/0 meta l4proto icmp accept', 'drop']);
    // No ingress rule: only what every firewall lets in.
    expect(chain(text, 'ingress')).toEqual(['jump ingress-always', 'drop']);
  });

  it('refuses a firewall where the host cannot tell replies apart, and lets anti-spoofing alone through', () => {
    const firewall = { ingress: [], egress: null };
    expect(() => renderRuleset({ name: 'awan-h1', replies: null }, [portFilter({ firewall })])).toThrow(/neither bridge conntrack nor br_netfilter/);
    const antiSpoofingOnly = renderRuleset({ name: 'awan-h1', replies: null }, [portFilter()]);
    expect(chain(antiSpoofingOnly, 'spoof')).toHaveLength(9);
    expect(antiSpoofingOnly).toContain('add rule bridge awan-h1 ingress-always ether type arp accept');
    expect(antiSpoofingOnly).not.toContain('established');
  });

  it('writes no value it did not parse', () => {
    const target = { name: 'awan-h1', replies: 'conntrack' as const };
    expect(() => renderRuleset(target, [{ ...portFilter(), port: 'eth0"; flush ruleset' }])).toThrow(/port name/);
    expect(() => renderRuleset(target, [{ ...portFilter(), mac: '52:54:00:5f:1c:0e drop' }])).toThrow(/MAC/);
    expect(() => renderRuleset(target, [portFilter({ addresses: ['198.51.100.10 } accept'] })])).toThrow(/IP address/);
    expect(() => renderRuleset(target, [portFilter({ instanceId: '../x' })])).toThrow(/instance id/);
    const evil = { protocol: 'TCP' as const, ports: null, addresses: ['0.0.0.0/0; flush ruleset'] };
    expect(() => renderRuleset(target, [portFilter({ firewall: { ingress: [evil], egress: null } })])).toThrow(/prefix/);
    expect(() => renderRuleset({ name: 'awan h1', replies: null }, [])).toThrow(/table name/);
  });

  it("takes an instance's chains and port away whether or not they are there, and the tables whole", () => {
    const text = renderRuleset({ name: 'awan-h1', replies: 'conntrack' }, [], [{ instanceId: id, port: 'awv0123456789ab' }]);
    const chains = ['spoof', 'sources', 'targets', 'egress', 'ingress'].map((kind) => `${kind}-${id}`);
    expect(text.slice(text.indexOf(`# ${id}`)).split('\n')).toEqual([
      `# ${id} removed from awv0123456789ab`,
      ...chains.map((name) => `add chain ${table} ${name}`),
      `add element ${table} spoof { "awv0123456789ab" : jump spoof-${id} }`,
      `delete element ${table} spoof { "awv0123456789ab" }`,
      `add element ${table} egress { "awv0123456789ab" : jump egress-${id} }`,
      `delete element ${table} egress { "awv0123456789ab" }`,
      `add element ${table} ingress { "awv0123456789ab" : jump ingress-${id} }`,
      `delete element ${table} ingress { "awv0123456789ab" }`,
      ...chains.map((name) => `flush chain ${table} ${name}`),
      ...chains.map((name) => `delete chain ${table} ${name}`),
      '',
    ]);
    expect(renderTablesRemoval('awan-h1')).toBe('add table bridge awan-h1\ndelete table bridge awan-h1\nadd table inet awan-h1\ndelete table inet awan-h1\n');
  });
});
