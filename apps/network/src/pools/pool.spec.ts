import { formatAddress } from '#libs/contracts';
import { addressOfUnit, createdOf, excludedUnits, onLinkLength, poolOfCreated, usableUnits, validatePool, type NamedPoolInput, type Pool } from './pool.js';

const v4: NamedPoolInput = { id: 'r1-ipv4', regionId: 'r1', prefix: '198.51.100.0/24', gateway: '198.51.100.1' };
const v6: NamedPoolInput = { id: 'r1-ipv6', regionId: 'r1', prefix: '2001:db8:51::/64', gateway: '2001:db8:51::1' };

function refusal(input: NamedPoolInput, others: Pool[] = []) {
  try {
    validatePool(input, others);
  } catch (error) {
    return { code: (error as { code: string }).code, field: (error as { field?: string }).field, message: (error as Error).message };
  }
  throw new Error('the pool was accepted');
}

describe('a pool', () => {
  it('hands out every address of an IPv4 /24 but the network, the gateway, the broadcast and the reserved', () => {
    const pool = validatePool({ ...v4, reserved: ['198.51.100.2-198.51.100.9', '198.51.100.128/30'] }, []);
    expect(excludedUnits(pool)).toEqual([0n, 1n, 2n, 3n, 4n, 5n, 6n, 7n, 8n, 9n, 128n, 129n, 130n, 131n, 255n]);
    expect(usableUnits(pool)).toBe(241n);
    expect(formatAddress(addressOfUnit(pool, 10n))).toBe('198.51.100.10');
    expect(onLinkLength(pool)).toBe(24);
  });

  it('hands out single IPv6 addresses on the shared prefix, or a /64 each taking its ::1', () => {
    const single = validatePool(v6, []);
    expect(formatAddress(addressOfUnit(single, 5n))).toBe('2001:db8:51::5');
    expect(onLinkLength(single)).toBe(64);
    expect(usableUnits(single)).toBe(2n ** 64n - 2n);
    const routed = validatePool({ ...v6, prefix: '2001:db8:5100::/48', gateway: 'fe80::1', assignmentLength: 64 }, []);
    expect(formatAddress(addressOfUnit(routed, 3n))).toBe('2001:db8:5100:3::1');
    expect(onLinkLength(routed)).toBe(64);
    expect(usableUnits(routed)).toBe(65_535n);
  });

  it('takes the first address as its gateway when none is given (fe80::1 for a pool of /64s), as the API leaves out what it need not be told', () => {
    const gatewayOf = (input: NamedPoolInput) => formatAddress(validatePool(input, []).gateway);
    expect(gatewayOf({ ...v4, gateway: undefined })).toBe('198.51.100.1');
    expect(gatewayOf({ ...v6, gateway: undefined })).toBe('2001:db8:51::1');
    expect(gatewayOf({ ...v6, prefix: '2001:db8:5100::/48', gateway: undefined, assignmentLength: 64 })).toBe('fe80::1');
    // GraphQL hands an optional field over as null.
    const nulls = { gateway: null, assignmentLength: null, reserved: null } as unknown as Partial<NamedPoolInput>;
    expect(validatePool({ ...v4, ...nulls }, [])).toMatchObject({ assignmentLength: 32, reserved: [], gateway: { value: 0xc6336401n } });
  });

  it.each([
    [{ ...v4, prefix: '198.51.100.7/24' }, 'input.prefix', /not a network address.*198\.51\.100\.0\/24/],
    [{ ...v4, prefix: 'ten-slash-eight' }, 'input.prefix', /CIDR/],
    [{ ...v4, prefix: '2001:db8::/129' }, 'input.prefix', /at most 128/],
    [{ ...v6, gateway: '198.51.100.1' }, 'input.gateway', /must be an IPV6 address for an IPV6 pool/],
    [{ ...v4, gateway: '192.0.2.1' }, 'input.gateway', /must lie in 198.51.100.0\/24/],
    [{ ...v4, gateway: 'the router' }, 'input.gateway', /must be an IP address/],
    [{ ...v4, reserved: ['203.0.113.5'] }, 'input.reserved[0]', /inside 198.51.100.0\/24/],
    [{ ...v4, reserved: ['198.51.100.5', '198.51.100.9-198.51.100.3'] }, 'input.reserved[1]', /first-last/],
    [{ ...v4, reserved: ['198.51.100.0/16'] }, 'input.reserved[0]', /inside 198.51.100.0\/24/],
    [{ ...v4, reserved: ['203.0.113.0/28'] }, 'input.reserved[0]', /inside 198.51.100.0\/24/],
    [{ ...v4, reserved: ['198.51.0.0/16'] }, 'input.reserved[0]', /inside 198.51.100.0\/24/],
    [{ ...v4, reserved: ['198.51.100.1-198.51.100.2-198.51.100.3'] }, 'input.reserved[0]', /first-last/],
    [{ ...v4, id: 'Pool_1' }, 'input.id', /RFC 1123/],
    [{ ...v4, regionId: 'no region' }, 'input.regionId', /RFC 1123/],
    [{ ...v4, bridge: 'br0; reboot' }, 'input.bridge', /interface name/],
    [{ ...v4, bridge: 'Bridge0' }, 'input.bridge', /at most 15 of a-z, 0-9, _ and -/],
    [{ ...v4, bridge: 'br.0' }, 'input.bridge', /interface name/],
    [{ ...v4, bridge: 'awan-bridge-0001' }, 'input.bridge', /at most 15/],
    [{ ...v4, assignmentLength: 64 }, 'input.assignmentLength', /single addresses/],
    [{ ...v6, assignmentLength: 96 }, 'input.assignmentLength', /128 .* or 64/],
    [{ ...v6, assignmentLength: 64 }, 'input.prefix', /larger than \/64/],
    [{ ...v4, prefix: '198.51.100.0/31' }, 'input.prefix', /\/30 or larger/],
  ])('refuses %j as BAD_USER_INPUT on %s', (input, field, message) => {
    expect(refusal(input)).toMatchObject({ code: 'BAD_USER_INPUT', field, message: expect.stringMatching(message) });
  });

  it('may not overlap another pool, and shares its region\'s bridge', () => {
    const existing = validatePool(v4, []);
    expect(refusal({ ...v4, id: 'r1-more', prefix: '198.51.100.128/25', gateway: '198.51.100.129' }, [existing]))
      .toMatchObject({ field: 'input.prefix', message: expect.stringContaining('overlaps pool r1-ipv4 (198.51.100.0/24)') });
    expect(refusal({ ...v4, id: 'r1-less', prefix: '198.51.0.0/16', gateway: '198.51.0.1' }, [existing]))
      .toMatchObject({ field: 'input.prefix', message: expect.stringContaining('overlaps pool r1-ipv4') });
    expect(refusal({ ...v6, bridge: 'other0' }, [existing])).toMatchObject({ field: 'input.bridge', message: expect.stringContaining('awanbr0') });
    expect(refusal(v4, [existing])).toMatchObject({ code: 'CONFLICT', message: 'pool r1-ipv4 exists' });
  });

  it('is recorded in its IpPoolCreated as it was checked, and read back the same', () => {
    const pool = validatePool({ ...v6, prefix: '2001:db8:5100::/48', gateway: undefined, assignmentLength: 64, reserved: ['2001:db8:5100:ff::/64'], bridge: 'awbr1' }, []);
    expect(createdOf(pool)).toEqual({
      poolId: 'r1-ipv6', regionId: 'r1', family: 'IPV6', prefix: '2001:db8:5100::/48', gateway: 'fe80::1', assignmentLength: 64,
      reserved: ['2001:db8:5100:ff::/64'], bridge: 'awbr1',
    });
    expect(poolOfCreated(createdOf(pool))).toEqual(pool);
  });
});
