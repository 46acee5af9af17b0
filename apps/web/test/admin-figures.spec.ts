import { hostCapacity, importProgress, poolUsage, rolesOf, stillImporting, usage } from '../src/pages/admin/admin-figures.js';

describe("the admin pages' figures", () => {
  it("shows a host's allocated against total CPU, memory and disk, in whole percent rounded down", () => {
    const bars = hostCapacity({ vcpus: 8, memoryMb: 16_384, diskGb: 200, allocatedVcpus: 3, allocatedMemoryMb: 16_300, allocatedDiskGb: 0 });
    expect(bars.map((b) => [b.label, b.usage.used, b.usage.total, b.usage.percent, b.usage.nearlyFull])).toEqual([
      ['CPU', 3, 8, 37, false],
      // 99.49 %: not yet shown full.
      ['Memory', 16_300, 16_384, 99, true],
      ['Disk', 0, 200, 0, false],
    ]);
  });

  it('calls 80 % nearly full, shows an overcommitted host full, and a host with no capacity yet empty', () => {
    expect(usage(79, 100)).toMatchObject({ percent: 79, nearlyFull: false });
    expect(usage(80, 100)).toMatchObject({ percent: 80, nearlyFull: true });
    expect(usage(12, 8)).toMatchObject({ percent: 100, nearlyFull: true });
    // A host enrolled but not heard from yet has no capacity.
    expect(usage(0, 0)).toMatchObject({ percent: 0, nearlyFull: false });
  });

  it("measures a pool's utilisation exactly, an IPv6 pool's 2^64 addresses included", () => {
    expect(poolUsage(12, '254')).toMatchObject({ percent: 4, nearlyFull: false });
    expect(poolUsage(204, '254')).toMatchObject({ percent: 80, nearlyFull: true });
    expect(poolUsage(3, '18446744073709551616')).toMatchObject({ percent: 0, nearlyFull: false });
    expect(poolUsage(0, '0')).toMatchObject({ percent: 0, nearlyFull: false });
  });

  it("watches an image's import until it is available or failed", () => {
    expect(importProgress('IMPORTING')).toMatchObject({ settled: false, tone: 'busy' });
    expect(importProgress('AVAILABLE')).toMatchObject({ settled: true, tone: 'running' });
    expect(importProgress('ERROR')).toMatchObject({ settled: true, tone: 'error', text: expect.stringContaining('sha256') });
    expect(stillImporting([{ status: 'AVAILABLE' }, { status: 'IMPORTING' }])).toBe(true);
    expect(stillImporting([{ status: 'AVAILABLE' }, { status: 'ERROR' }, { status: 'RETIRED' }])).toBe(false);
  });

  it("offers the roles an account's people may have", () => {
    expect(rolesOf('PLATFORM')).toEqual(['ADMIN', 'FINANCE']);
    expect(rolesOf('RESELLER')).toEqual(['RESELLER', 'FINANCE']);
    expect(rolesOf('CUSTOMER')).toEqual(['CUSTOMER', 'FINANCE']);
  });
});
