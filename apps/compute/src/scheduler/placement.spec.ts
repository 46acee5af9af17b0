import { rankHosts, type HostCandidate, type PlacementRequest } from './placement.js';

function host(hostId: string, overrides: Partial<HostCandidate> = {}): HostCandidate {
  return {
    hostId,
    regionId: 'local',
    status: 'UP',
    kinds: ['VM', 'CONTAINER'],
    capacity: { vcpus: 4, memoryMb: 8192, diskGb: 100 },
    ratios: { cpu: 4, memory: 1, disk: 1 },
    reserved: { vcpus: 0, memoryMb: 0, diskGb: 0 },
    ...overrides,
  };
}

const request: PlacementRequest = { regionId: 'local', kind: 'VM', vcpus: 2, memoryMb: 2048, diskGb: 20 };
const ids = (hosts: HostCandidate[]) => hosts.map((h) => h.hostId);

describe('placing an instance', () => {
  it('keeps only UP hosts of the region that run the kind', () => {
    const hosts = [
      host('a'),
      host('b', { regionId: 'other' }),
      host('c', { status: 'MAINTENANCE' }),
      host('d', { status: 'DOWN' }),
      host('e', { kinds: ['CONTAINER'] }),
    ];
    expect(ids(rankHosts(hosts, request))).toEqual(['a']);
  });

  it('lets CPU overcommit 4 to 1 but memory and disk not at all', () => {
    expect(ids(rankHosts([host('cpu', { reserved: { vcpus: 14, memoryMb: 0, diskGb: 0 } })], request))).toEqual(['cpu']);
    expect(ids(rankHosts([host('cpu', { reserved: { vcpus: 15, memoryMb: 0, diskGb: 0 } })], request))).toEqual([]);
    expect(ids(rankHosts([host('mem', { reserved: { vcpus: 0, memoryMb: 6144, diskGb: 0 } })], request))).toEqual(['mem']);
    expect(ids(rankHosts([host('mem', { reserved: { vcpus: 0, memoryMb: 6145, diskGb: 0 } })], request))).toEqual([]);
    expect(ids(rankHosts([host('disk', { reserved: { vcpus: 0, memoryMb: 0, diskGb: 81 } })], request))).toEqual([]);
  });

  it('honours a host’s own ratios', () => {
    const strict = host('strict', { ratios: { cpu: 1, memory: 1, disk: 1 }, reserved: { vcpus: 3, memoryMb: 0, diskGb: 0 } });
    expect(rankHosts([strict], request)).toEqual([]);
    const generous = host('generous', { ratios: { cpu: 4, memory: 1.5, disk: 1 }, reserved: { vcpus: 0, memoryMb: 10240, diskGb: 0 } });
    expect(ids(rankHosts([generous], request))).toEqual(['generous']);
  });

  it('spreads: the host with the most memory left comes first', () => {
    const hosts = [
      host('busy', { reserved: { vcpus: 2, memoryMb: 4096, diskGb: 0 } }),
      host('idle'),
      host('half', { reserved: { vcpus: 1, memoryMb: 2048, diskGb: 0 } }),
    ];
    expect(ids(rankHosts(hosts, request))).toEqual(['idle', 'half', 'busy']);
  });
});
