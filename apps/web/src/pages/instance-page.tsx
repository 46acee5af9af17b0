import { useCallback, useEffect, useState } from 'react';
import { ApiError, request, subscribe } from '../api/api-client.js';
import { formatMoney } from '../api/field-errors.js';
import { Empty } from '../components/form.js';
import { InstanceStatus } from '../components/instance-status.js';
import { Tabs } from '../components/tabs.js';
import { InstanceConsole } from '../console/instance-console.js';
import { graphql } from '../gql/index.js';
import type { InstanceQuery } from '../gql/graphql.js';
import { Link } from '../router.js';
import { BackupsTab } from './instance/backups-tab.js';
import { FirewallsTab } from './instance/firewalls-tab.js';
import { HistoryTab } from './instance/history-tab.js';
import { SnapshotsTab } from './instance/snapshots-tab.js';
import { InstanceUpdates } from './instances-page.js';

const Instance = graphql(`
  query Instance($id: ID!) {
    instance(id: $id) {
      id name kind status fqdn createdAt billingCycle
      region { name }
      plan { name vcpus memoryMb diskGb hourlyPrice { amount currency } }
      image { name os version }
      ipAddresses { id address family }
      costToDate { amount currency }
    }
  }
`);

const StartInstance = graphql(`mutation StartInstance($id: ID!) { startInstance(id: $id) { id status } }`);
const StopInstance = graphql(`mutation StopInstance($id: ID!) { stopInstance(id: $id) { id status } }`);
const DeleteInstance = graphql(`mutation DeleteInstance($id: ID!) { deleteInstance(id: $id) { id status } }`);

type Detail = NonNullable<InstanceQuery['instance']>;

/** The statuses the gateway keeps a console open through (a reboot's boot lines show on it). */
const KEEPS_CONSOLE = ['RUNNING', 'REBOOTING', 'RESIZING'];
const TABS = [
  { id: 'details', title: 'Details' }, { id: 'console', title: 'Console' }, { id: 'history', title: 'History' },
  { id: 'snapshots', title: 'Snapshots' }, { id: 'backups', title: 'Backups' }, { id: 'firewalls', title: 'Firewalls' },
] as const;

/** One instance: what it is, where, what it costs so far; start, stop and delete, its status live. */
export function InstancePage({ id }: { id: string }) {
  const [instance, setInstance] = useState<Detail | null | undefined>(undefined);
  const [problem, setProblem] = useState<string | null>(null);
  const [confirmDelete, setConfirmDelete] = useState(false);
  const [busy, setBusy] = useState(false);
  const [tab, setTab] = useState<(typeof TABS)[number]['id']>('details');

  const load = useCallback(() => {
    request(Instance, { id }).then(({ instance: loaded }) => setInstance(loaded ?? null), (error: ApiError) => setProblem(error.message));
  }, [id]);

  useEffect(() => {
    load();
    // The status as it changes; the rest (addresses once provisioned, cost) read again with it.
    return subscribe(InstanceUpdates, { id }, ({ instanceUpdated }) => {
      setInstance((current) => (current ? { ...current, status: instanceUpdated.status } : current));
      load();
    }, (error) => setProblem(error.message));
  }, [id, load]);

  const act = async (action: 'start' | 'stop' | 'delete') => {
    setBusy(true);
    setProblem(null);
    setConfirmDelete(false);
    try {
      const { status } = action === 'start' ? (await request(StartInstance, { id })).startInstance
        : action === 'stop' ? (await request(StopInstance, { id })).stopInstance
        : (await request(DeleteInstance, { id })).deleteInstance;
      setInstance((current) => (current ? { ...current, status } : current));
    } catch (error) {
      setProblem(error instanceof ApiError ? error.message : String(error));
    } finally {
      setBusy(false);
    }
  };

  if (instance === undefined) return problem ? <p className="banner error" role="alert">{problem}</p> : <p role="status">Loading the instance…</p>;
  if (instance === null) {
    return (
      <Empty title="No such instance">
        <p>It may belong to another account. <Link href="/instances">Go back to your instances</Link>.</p>
      </Empty>
    );
  }
  const gone = instance.status === 'DELETED' || instance.status === 'DELETING';
  return (
    <section>
      <p><Link href="/instances">← Instances</Link></p>
      <div className="heading">
        <h1>{instance.name}</h1>
        <p role="status" aria-live="polite" className="live-status">Status: <InstanceStatus status={instance.status} /></p>
      </div>
      {problem ? <p className="banner error" role="alert">{problem}</p> : null}
      {instance.status === 'DELETED' ? (
        <p className="banner">This instance is deleted; its history stays readable. <Link href="/instances/new">Create another</Link>.</p>
      ) : null}
      <div className="actions">
        {instance.status === 'STOPPED' ? <button type="button" disabled={busy} onClick={() => act('start')}>Start</button> : null}
        {instance.status === 'RUNNING' ? <button type="button" disabled={busy} onClick={() => act('stop')}>Stop</button> : null}
        {gone ? null : confirmDelete ? (
          <>
            <button type="button" className="danger" disabled={busy} onClick={() => act('delete')}>Delete {instance.name} for good</button>
            <button type="button" className="secondary" onClick={() => setConfirmDelete(false)}>Keep it</button>
          </>
        ) : (
          <button type="button" className="danger secondary" disabled={busy} onClick={() => setConfirmDelete(true)}>Delete…</button>
        )}
      </div>
      <Tabs label="Instance" tabs={TABS} chosen={tab} onChoose={setTab}>
        {tab === 'details' ? (
          <dl className="facts">
            <dt>Kind</dt><dd>{instance.kind === 'VM' ? 'Virtual machine' : 'Container'}</dd>
            <dt>Host name</dt><dd className="fqdn">{instance.fqdn}</dd>
            <dt>Addresses</dt><dd>{instance.ipAddresses.length ? instance.ipAddresses.map((ip) => <div key={ip.id}>{ip.address}</div>) : 'none yet'}</dd>
            <dt>Region</dt><dd>{instance.region.name}</dd>
            <dt>Image</dt><dd>{instance.image.name} ({instance.image.os} {instance.image.version})</dd>
            <dt>Plan</dt><dd>{instance.plan.name}: {instance.plan.vcpus} vCPU, {instance.plan.memoryMb} MB, {instance.plan.diskGb} GB at {formatMoney(instance.plan.hourlyPrice)} an hour</dd>
            <dt>Billing</dt><dd>{instance.billingCycle === 'HOURLY' ? 'By the hour' : 'By the month'}</dd>
            <dt>Cost this period</dt><dd>{formatMoney(instance.costToDate)}</dd>
            <dt>Created</dt><dd><time dateTime={instance.createdAt}>{new Date(instance.createdAt).toLocaleString()}</time></dd>
          </dl>
        ) : tab === 'history' ? <HistoryTab instance={instance} />
        : tab === 'snapshots' ? <SnapshotsTab instance={instance} />
        : tab === 'backups' ? <BackupsTab instance={instance} />
        : tab === 'firewalls' ? <FirewallsTab instance={instance} />
        : KEEPS_CONSOLE.includes(instance.status) ? (
          <InstanceConsole instance={instance} />
        ) : (
          <p className="banner">The console opens while the instance is RUNNING; it is {instance.status} now.</p>
        )}
      </Tabs>
    </section>
  );
}
