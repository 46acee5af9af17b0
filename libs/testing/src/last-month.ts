import { randomUUID } from 'node:crypto';
import { connect } from '@nats-io/transport-node';
import { PLATFORM_SCOPE } from '#libs/contracts';
import { credentialsOptions } from '#libs/nats-auth';
import type { TestAwan } from './awan-launcher.js';
import { waitFor } from './environment.js';
import { publishEvent, eventEnvelope } from './events.js';
import { connectServiceClient } from './service-client.js';

/** Last month, UTC: `YYYY-MM` and when it started. */
export function lastMonth(now = new Date()): { month: string; start: Date } {
  const start = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 1, 1));
  return { month: start.toISOString().slice(0, 7), start };
}

/**
 * A month that ended, for a test that cannot wait for one (as docs.e2e-spec.ts and cli.e2e-spec.ts
 * stand in for it): the account held a floating IPv4 address from day 2 to day 12 of last month
 * (network's events, published as its relay would have then), and billing closed last month as its
 * job does after a month ends. Answers once the account's draft of that month is listed.
 */
export async function standInForLastMonth(awan: TestAwan, accountId: string, address = '198.51.100.55'): Promise<{ month: string; ipId: string }> {
  const { month, start } = lastMonth();
  const day = (n: number) => new Date(start.getTime() + n * 86_400_000);
  const ipId = randomUUID();
  const network = await connect({ servers: awan.natsUrl, name: 'last-month', ...credentialsOptions(awan.natsCredentials('network')) });
  const operator = await connectServiceClient('last-month', awan.natsUrl, awan.natsCredentials('gateway'));
  try {
    const allocated = { ipId, address, family: 'IPV4', regionId: 'local', accountId, floating: true, poolId: 'last-month', prefixLength: 25, gateway: '198.51.100.1' };
    await publishEvent(network, 'network', eventEnvelope(`ip-${ipId}`, 'IpAllocated', 1, allocated, day(2)));
    await publishEvent(network, 'network', eventEnvelope(`ip-${ipId}`, 'IpReleased', 2, { ipId }, day(12)));
    await waitFor(async () => {
      await operator.client.call('billing.invoice.closeMonth', { accountIds: PLATFORM_SCOPE, month });
      const { edges } = await operator.client.call('billing.invoice.list', { accountIds: PLATFORM_SCOPE, accountId, status: 'DRAFT' });
      return edges.some((edge) => edge.node.periodStart.startsWith(month)) || undefined;
    }, 60_000, `the draft of ${month} for account ${accountId}`);
  } finally {
    await network.close();
    await operator.close();
  }
  return { month, ipId };
}
