import { useCallback, useEffect, useState } from 'react';
import { ApiError, request, subscribe } from '../api/api-client.js';
import { Empty } from '../components/form.js';
import { InstanceStatus } from '../components/instance-status.js';
import { graphql } from '../gql/index.js';
import type { InstancesQuery } from '../gql/graphql.js';
import { Link } from '../router.js';

const Instances = graphql(`
  query Instances {
    instances(first: 100) {
      totalCount
      edges { node { id name kind status fqdn region { name } plan { name } } }
    }
  }
`);

/** Every instance of the caller's: its status changes as they happen. */
export const InstanceUpdates = graphql(`
  subscription InstanceUpdates($id: ID) {
    instanceUpdated(id: $id) { id status }
  }
`);

type Row = InstancesQuery['instances']['edges'][number]['node'];

/** The customer's instances, their status live (instanceUpdated over graphql-ws); a new one elsewhere reloads the list. */
export function InstancesPage() {
  const [rows, setRows] = useState<Row[] | null>(null);
  const [total, setTotal] = useState(0);
  const [problem, setProblem] = useState<string | null>(null);

  const load = useCallback(() => {
    request(Instances).then(
      ({ instances }) => {
        setRows(instances.edges.map((e) => e.node));
        setTotal(instances.totalCount);
      },
      (error: ApiError) => setProblem(error.message),
    );
  }, []);

  useEffect(() => {
    load();
    return subscribe(InstanceUpdates, {}, ({ instanceUpdated: update }) => {
      setRows((current) => {
        if (!current) return current;
        if (!current.some((row) => row.id === update.id)) {
          load();
          return current;
        }
        return current
          .map((row) => (row.id === update.id ? { ...row, status: update.status } : row))
          .filter((row) => row.status !== 'DELETED');
      });
    }, (error) => setProblem(error.message));
  }, [load]);

  return (
    <section>
      <div className="heading">
        <h1>Instances</h1>
        <Link href="/instances/new" className="button">Create instance</Link>
      </div>
      {problem ? <p className="banner error" role="alert">{problem}</p> : null}
      {rows === null ? (
        <p role="status">Loading your instances…</p>
      ) : rows.length === 0 ? (
        <Empty title="No instances yet">
          <p>An instance is a virtual machine or a container. Create one: choose an image, a plan (its price is shown), a region and a name; it starts by itself.</p>
          <p><Link href="/instances/new" className="button">Create your first instance</Link></p>
        </Empty>
      ) : (
        <>
          <ul className="instances" aria-label="Your instances">
            {rows.map((row) => (
              <li key={row.id} className="instance-row">
                <Link href={`/instances/${row.id}`} className="instance-name">{row.name}</Link>
                <InstanceStatus status={row.status} />
                <span className="muted">{row.kind === 'VM' ? 'VM' : 'Container'} · {row.plan.name} · {row.region.name}</span>
                <span className="muted fqdn">{row.fqdn}</span>
              </li>
            ))}
          </ul>
          {total > rows.length ? <p className="hint">Showing the first {rows.length} of {total}.</p> : null}
        </>
      )}
    </section>
  );
}
