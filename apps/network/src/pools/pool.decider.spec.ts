import type { AppError } from '#libs/contracts';
import { deciderSpec } from '#libs/testing';
import { poolDecider, type PoolEvent } from './pool.decider.js';

const spec = deciderSpec(poolDecider);
const pool = {
  poolId: 'r1-ipv4', regionId: 'r1', family: 'IPV4' as const, prefix: '198.51.100.0/24', gateway: '198.51.100.1',
  assignmentLength: 32, reserved: [], bridge: 'awanbr0',
};
const created: PoolEvent = { type: 'IpPoolCreated', data: pool };
const retired: PoolEvent = { type: 'IpPoolRetired', data: { poolId: 'r1-ipv4' } };

describe('an IP pool', () => {
  it('is created where no host of its region uses its prefix', () => {
    spec.given([]).when({ type: 'CreatePool', pool, hostOverlaps: [] }).then([created]);
  });

  it('is refused on its prefix, naming each host and what of the host\'s it overlaps', () => {
    const hostOverlaps = [
      { hostId: 'h1', overlap: '198.51.100.0/24 overlaps the host\'s route 198.51.100.0/25 on eth1' },
      { hostId: 'h2', overlap: '198.51.100.0/24 covers 198.51.100.53, a DNS server of the host\'s' },
    ];
    let refusal: AppError | undefined;
    try {
      poolDecider.decide({ type: 'CreatePool', pool, hostOverlaps }, poolDecider.initialState());
    } catch (error) {
      refusal = error as AppError;
    }
    expect(refusal).toMatchObject({
      code: 'BAD_USER_INPUT',
      field: 'input.prefix',
      message: "input.prefix: on host h1, 198.51.100.0/24 overlaps the host's route 198.51.100.0/25 on eth1; "
        + "on host h2, 198.51.100.0/24 covers 198.51.100.53, a DNS server of the host's: give the pool a prefix the hosts of region r1 do not use",
    });
  });

  it('exists once', () => {
    spec.given([created]).when({ type: 'CreatePool', pool, hostOverlaps: [] }).thenThrows('pool r1-ipv4 exists');
    spec.given([created, retired]).when({ type: 'CreatePool', pool, hostOverlaps: [] }).thenThrows('pool r1-ipv4 exists');
  });

  it('is retired once; retiring it again changes nothing', () => {
    spec.given([created]).when({ type: 'RetirePool', poolId: 'r1-ipv4' }).then([retired]);
    spec.given([created, retired]).when({ type: 'RetirePool', poolId: 'r1-ipv4' }).then([]);
  });

  it('is NOT_FOUND before it was created', () => {
    spec.given([]).when({ type: 'RetirePool', poolId: 'r1-ipv9' }).thenThrows('pool r1-ipv9 not found');
  });
});
