import { useEffect, useState } from 'react';
import { ApiError, request } from '../../api/api-client.js';
import { Empty } from '../../components/form.js';
import { graphql } from '../../gql/index.js';
import type { AdminIpPoolsQuery } from '../../gql/graphql.js';
import { poolUsage } from './admin-figures.js';
import { UsageBar } from './usage-bar.js';

const AdminIpPools = graphql(`
  query AdminIpPools {
    ipPools { id family cidr gateway bridge size used retiredAt region { id name } }
  }
`);

type Pool = AdminIpPoolsQuery['ipPools'][number];

/** The address pools: how much of each is handed out. */
export function IpPoolsPage() {
  const [pools, setPools] = useState<Pool[] | null>(null);
  const [problem, setProblem] = useState<string | null>(null);

  useEffect(() => {
    request(AdminIpPools).then(({ ipPools }) => setPools(ipPools), (error: ApiError) => setProblem(error.message));
  }, []);

  return (
    <section>
      <h1>IP pools</h1>
      {problem ? <p className="banner error" role="alert">{problem}</p> : null}
      {pools === null ? (problem ? null : <p role="status">Loading the pools…</p>) : pools.length === 0 ? (
        <Empty title="No address pools yet">
          <p>Instances get their public addresses from a region&apos;s pools. Create one with the <code>createIpPool</code> mutation: its region, CIDR and the hosts&apos; bridge (docs/api.md).</p>
        </Empty>
      ) : (
        <ul className="admin-cards" aria-label="IP pools">
          {pools.map((pool) => {
            const usage = poolUsage(pool.used, pool.size);
            return (
              <li key={pool.id} className="admin-card" aria-labelledby={`pool-${pool.id}`}>
                <h2 id={`pool-${pool.id}`}>{pool.cidr}</h2>
                <p className="muted">{pool.region.name} · {pool.family === 'IPV4' ? 'IPv4' : 'IPv6'} · bridge {pool.bridge}{pool.gateway ? ` · gateway ${pool.gateway}` : ''}</p>
                {pool.retiredAt ? <p className="hint">Retired {new Date(pool.retiredAt).toLocaleDateString('en')}: it hands out no new address.</p> : null}
                <UsageBar label="In use" usage={usage} figures={`${pool.used} of ${pool.size}`} />
              </li>
            );
          })}
        </ul>
      )}
    </section>
  );
}
