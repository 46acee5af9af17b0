import { useEffect, useState } from 'react';
import { ApiError, request, subscribe } from '../api/api-client.js';
import { Empty } from '../components/form.js';
import { InstanceStatus } from '../components/instance-status.js';
import { graphql } from '../gql/index.js';
import type { InstancesQuery } from '../gql/graphql.js';
import { withPage, withUpdate, type RowsState } from '../instances/instance-rows.js';
import { WindowedList } from '../instances/windowed-list.js';
import { Link } from '../router.js';
import '../instances/instance-list.css';

const Instances = graphql(`
  query Instances($after: String) {
    instances(first: 100, after: $after) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges { node { ...InstanceRow } }
    }
  }
  fragment InstanceRow on Instance { id name kind status fqdn region { name } plan { name } }
`);

const NewInstance = graphql(`
  query NewInstanceRow($id: ID!) {
    instance(id: $id) { ...InstanceRow }
  }
`);

/** Every instance of the caller's: its status changes as they happen. */
export const InstanceUpdates = graphql(`
  subscription InstanceUpdates($id: ID) {
    instanceUpdated(id: $id) { id status }
  }
`);

type Row = InstancesQuery['instances']['edges'][number]['node'];

/** Each row's place in the list, in px: instance-list.css's 90 px row and 8 px of space. */
const ROW_HEIGHT = 98;
const numbers = new Intl.NumberFormat('en');

/**
 * The customer's instances, page after page of the API's connection (the first shown at once, the
 * rest as they come), in a windowed list; their status live (instanceUpdated over graphql-ws), and
 * one new elsewhere fetched and added at the end, where the API's order puts it.
 */
export function InstancesPage() {
  const [state, setState] = useState<RowsState<Row> | null>(null);
  const [total, setTotal] = useState(0);
  const [complete, setComplete] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);

  useEffect(() => {
    let alive = true;
    // The rows as of the last page or update, read as each event arrives (a state updater may run later).
    let current: RowsState<Row> = { rows: [], pending: new Map() };
    let allLoaded = false;
    const commit = (next: RowsState<Row>) => {
      current = next;
      setState(next);
    };
    const addNew = (id: string) =>
      request(NewInstance, { id }).then(({ instance }) => alive && instance && commit(withPage(current, [instance])), () => undefined);

    (async () => {
      let after: string | null | undefined = null;
      do {
        const { instances }: InstancesQuery = await request(Instances, { after });
        if (!alive) return;
        commit(withPage(current, instances.edges.map((edge) => edge.node)));
        setTotal(instances.totalCount);
        after = instances.pageInfo.hasNextPage ? instances.pageInfo.endCursor : null;
      } while (after);
      allLoaded = true;
      setComplete(true);
    })().catch((error: ApiError) => alive && setProblem(error.message));

    const unsubscribe = subscribe(InstanceUpdates, {}, ({ instanceUpdated }) => {
      const applied = withUpdate(current, instanceUpdated);
      commit(applied.state);
      // Not listed and every page in: new since the list was read.
      if (applied.unknown && allLoaded) void addNew(instanceUpdated.id);
    }, (error) => setProblem(error.message));
    return () => {
      alive = false;
      unsubscribe();
    };
  }, []);

  const rows = state?.rows ?? null;
  return (
    <section>
      <div className="heading">
        <h1>Instances</h1>
        <Link href="/instances/new" className="button">Create instance</Link>
      </div>
      {problem ? <p className="banner error" role="alert">{problem}</p> : null}
      {rows === null ? (
        problem ? null : <p role="status">Loading your instances…</p>
      ) : rows.length === 0 && complete ? (
        <Empty title="No instances yet">
          <p>An instance is a virtual machine or a container. Create one: choose an image, a plan (its price is shown), a region and a name; it starts by itself.</p>
          <p><Link href="/instances/new" className="button">Create your first instance</Link></p>
        </Empty>
      ) : (
        <>
          <p className="hint" role="status">
            {complete ? `${numbers.format(rows.length)} ${rows.length === 1 ? 'instance' : 'instances'}` : `Loading: ${numbers.format(rows.length)} of ${numbers.format(total)} instances so far…`}
          </p>
          <WindowedList
            items={rows}
            rowHeight={ROW_HEIGHT}
            label="Your instances"
            className="instance-list"
            rowClassName="instance-row"
            keyOf={(row) => row.id}
            renderRow={(row) => (
              <>
                <Link href={`/instances/${row.id}`} className="instance-name">{row.name}</Link>
                <InstanceStatus status={row.status} />
                <span className="muted meta">{row.kind === 'VM' ? 'VM' : 'Container'} · {row.plan.name} · {row.region.name}</span>
                <span className="muted fqdn" title={row.fqdn}>{row.fqdn}</span>
              </>
            )}
          />
        </>
      )}
    </section>
  );
}
