import { normalizeHostname, overlaps, parsePrefix, reverseName, reverseZone } from './ip-range.js';
import { formatPrefix, parseAddress, type IpPrefix } from '#libs/contracts';

const prefix = (text: string) => parsePrefix(text) as IpPrefix;

describe('prefixes as network reads them, and their reverse names', () => {
  it('reads prefixes, and names the network of one whose host bits are set', () => {
    expect(formatPrefix(prefix('2001:db8:113::/64'))).toBe('2001:db8:113::/64');
    expect(parsePrefix('192.0.2.5/24')).toEqual({ error: 'is not a network address: the host bits are set (the network is 192.0.2.0/24)' });
    expect(parsePrefix('192.0.2.0/33')).toEqual({ error: 'a prefix length is at most 32 for IPV4' });
    expect(parsePrefix('192.0.2.0')).toHaveProperty('error');
  });

  it('sees overlaps within a family only', () => {
    expect(overlaps(prefix('192.0.2.0/24'), prefix('192.0.2.128/25'))).toBe(true);
    expect(overlaps(prefix('192.0.2.0/25'), prefix('192.0.2.128/25'))).toBe(false);
    expect(overlaps(prefix('::/0'), prefix('192.0.2.0/24'))).toBe(false);
  });

  it('names PTR owners and reverse zones at the label boundary', () => {
    expect(reverseName(parseAddress('203.0.113.7')!)).toBe('7.113.0.203.in-addr.arpa');
    expect(reverseZone(prefix('203.0.113.0/24'))).toBe('113.0.203.in-addr.arpa');
    expect(reverseZone(prefix('203.0.113.64/26'))).toBe('113.0.203.in-addr.arpa');
    expect(reverseName(parseAddress('2001:db8::1')!)).toBe(`1.${'0.'.repeat(23)}8.b.d.0.1.0.0.2.ip6.arpa`);
    expect(reverseZone(prefix('2001:db8:113::/64'))).toBe('0.0.0.0.3.1.1.0.8.b.d.0.1.0.0.2.ip6.arpa');
  });

  it('takes host names for PTR records, lower-cased, and refuses anything else', () => {
    expect(normalizeHostname('Mail.Example.COM.')).toBe('mail.example.com');
    for (const bad of ['1.2.3.4', '192.0.2.10.', 'mail.example.123', 'localhost', 'mail..example.com', '-a.example.com', 'a_b.example.com', 'x.$(reboot)', `${'a'.repeat(64)}.com`, 42]) {
      expect(normalizeHostname(bad)).toBeNull();
    }
  });
});
