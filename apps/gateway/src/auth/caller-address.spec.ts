import { callerAddress } from './caller-address.js';

describe("a caller's address as per-address limits count it", () => {
  it('is an IPv4 address as it is, a mapped one as IPv4 too', () => {
    expect(callerAddress('198.51.100.7')).toBe('198.51.100.7');
    expect(callerAddress('::ffff:198.51.100.7')).toBe('198.51.100.7');
  });

  it("is an IPv6 address's /64 (RFC 5952), however it is written", () => {
    expect(callerAddress('2001:db8:1:2:aaaa:bbbb:cccc:dddd')).toBe('2001:db8:1:2::/64');
    expect(callerAddress('2001:0DB8:0001:0002::1')).toBe('2001:db8:1:2::/64');
    expect(callerAddress('2001:db8::1')).toBe('2001:db8::/64');
    expect(callerAddress('::1')).toBe('::/64');
    expect(callerAddress('fe80::1%eth0')).toBe('fe80::/64');
    expect(callerAddress('::a:b:c:d:198.51.100.7')).toBe('0:0:a:b::/64');
    expect(callerAddress('64:ff9b::198.51.100.7')).toBe('64:ff9b::/64');
  });

  it('is "unknown" without one', () => {
    expect(callerAddress(undefined)).toBe('unknown');
  });
});
