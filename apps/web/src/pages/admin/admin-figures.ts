/** The admin pages' logic, apart from the pages: capacity and utilisation figures, an image import's progress, whom an account may have. */

export interface Usage {
  used: number;
  total: number;
  /** Whole percent used, rounded down so 99.6 % reads "99 %" until it is truly full; 0 of 0 is 0. */
  percent: number;
  /** 80 % or more: placement will soon find no room. */
  nearlyFull: boolean;
}

/** What part of a total is in use, as a bar shows it (allocated may pass the total: overcommitted, shown full). */
export function usage(used: number, total: number): Usage {
  const percent = total > 0 ? Math.min(100, Math.floor((used / total) * 100)) : 0;
  return { used, total, percent, nearlyFull: total > 0 && used / total >= 0.8 };
}

export interface HostCapacity {
  vcpus: number;
  memoryMb: number;
  diskGb: number;
  allocatedVcpus: number;
  allocatedMemoryMb: number;
  allocatedDiskGb: number;
}

/** A host's three bars, as the API gives its allocated and total CPU, memory and disk. */
export function hostCapacity(host: HostCapacity): { label: string; unit: string; usage: Usage }[] {
  return [
    { label: 'CPU', unit: 'vCPU', usage: usage(host.allocatedVcpus, host.vcpus) },
    { label: 'Memory', unit: 'MB', usage: usage(host.allocatedMemoryMb, host.memoryMb) },
    { label: 'Disk', unit: 'GB', usage: usage(host.allocatedDiskGb, host.diskGb) },
  ];
}

/**
 * A pool's utilisation: `size` is a decimal string (an IPv6 pool of single addresses holds up to
 * 2^64 of them, past what a number holds exactly), so it is compared as a BigInt.
 */
export function poolUsage(used: number, size: string): Usage {
  const total = BigInt(size);
  if (total === 0n) return { used, total: 0, percent: 0, nearlyFull: false };
  const percent = Number((BigInt(used) * 100n) / total);
  return { used, total: Number(total), percent: Math.min(100, percent), nearlyFull: BigInt(used) * 5n >= total * 4n };
}

export type ImageStatusName = 'IMPORTING' | 'AVAILABLE' | 'ERROR' | 'RETIRED';

/** An image's status in words, for the list and for the import being watched. */
export function importProgress(status: ImageStatusName): { text: string; settled: boolean; tone: 'busy' | 'running' | 'error' | 'stopped' } {
  switch (status) {
    case 'IMPORTING':
      return { text: 'Importing: a host of each region fetches it and checks its sha256…', settled: false, tone: 'busy' };
    case 'AVAILABLE':
      return { text: 'Available: customers can create instances from it.', settled: true, tone: 'running' };
    case 'ERROR':
      return { text: 'Import failed: the file could not be fetched, or its sha256 or format was wrong. Check the URL and the checksum, then register it again under a new id.', settled: true, tone: 'error' };
    case 'RETIRED':
      return { text: 'Retired: no new instance can use it.', settled: true, tone: 'stopped' };
  }
}

/** Whether the images page asks for them again: while any is still importing. */
export const stillImporting = (images: readonly { status: ImageStatusName }[]): boolean => images.some((image) => !importProgress(image.status).settled);

export type AccountKindName = 'PLATFORM' | 'RESELLER' | 'CUSTOMER';
export type RoleName = 'ADMIN' | 'RESELLER' | 'CUSTOMER' | 'FINANCE';

/** The roles the people of an account may have (as its keys may; the API refuses others beside the role). */
export function rolesOf(kind: AccountKindName): RoleName[] {
  return { PLATFORM: ['ADMIN', 'FINANCE'], RESELLER: ['RESELLER', 'FINANCE'], CUSTOMER: ['CUSTOMER', 'FINANCE'] }[kind] as RoleName[];
}
