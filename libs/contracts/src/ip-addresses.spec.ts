import { formatAddress, formatPrefix, parseAddress, parseCidr } from './ip-addresses.js';

describe('IP addresses read as numbers and written back', () => {
  it.each([
    ['198.51.100.7', '198.51.100.7'],
    ['2001:DB8:0:0:0:0:0:1', '2001:db8::1'],
    ['2001:db8:0:1:0:0:0:0', '2001:db8:0:1::'],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'], // the first of two equal zero runs is the one compressed
    ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'], // a single zero group is not compressed
    ['2001:0db8:0000:0001:0001:0001:0001:0001', '2001:db8:0:1:1:1:1:1'],
    ['::', '::'],
    ['::ffff:198.51.100.7', '::ffff:c633:6407'],
    ['fe80::1:0:0:1', 'fe80::1:0:0:1'],
  ])('%s is %s (RFC 5952)', (text, written) => {
    expect(formatAddress(parseAddress(text)!)).toBe(written);
  });

  it.each([
    '198.51.100.256', '198.51.100', '198.051.100.7', 'fe80::1%eth0', '1::2::3', '1:2:3:4:5:6:7:8:9', '1:2:3:4:5:6:7::8',
    '::1/128', ' 198.51.100.7', '198.51.100.7 ', 'localhost', '', 7, null,
  ])('refuses %p', (text) => {
    expect(parseAddress(text)).toBeNull();
  });
});

describe('prefixes in CIDR notation', () => {
  it('reads the address as written and its length, and says what is wrong with anything else', () => {
    expect(parseCidr('198.51.100.77/26')).toEqual({ address: parseAddress('198.51.100.77'), length: 26 });
    expect(parseCidr('2001:db8::/32')).toEqual({ address: parseAddress('2001:db8::'), length: 32 });
    expect(parseCidr('198.51.100.0/33')).toEqual({ error: 'a prefix length is at most 32 for IPV4' });
    expect(parseCidr('2001:db8::/129')).toEqual({ error: 'a prefix length is at most 128 for IPV6' });
    for (const bad of ['198.51.100.0/024', '198.51.100.0', '198.51.100.0/24/1', '/24', 'web/24', 24]) {
      expect(parseCidr(bad)).toEqual({ error: 'must be a prefix in CIDR notation, e.g. 192.0.2.0/24 or 2001:db8::/64' });
    }
    expect(formatPrefix({ family: 'IPV6', base: parseAddress('2001:db8:113::')!.value, length: 64 })).toBe('2001:db8:113::/64');
  });
});
