import { useCallback, useEffect, useState } from 'react';
import { ApiError, request } from '../../api/api-client.js';
import { Empty } from '../../components/form.js';
import { graphql } from '../../gql/index.js';
import type { AdminHostsQuery } from '../../gql/graphql.js';
import { hostCapacity } from './admin-figures.js';
import { UsageBar } from './usage-bar.js';

const AdminHosts = graphql(`
  query AdminHosts {
    hosts { id name status kinds region { id name } vcpus memoryMb diskGb allocatedVcpus allocatedMemoryMb allocatedDiskGb lastHeartbeatAt }
  }
`);

const SetHostMaintenance = graphql(`
  mutation SetHostMaintenance($id: ID!, $maintenance: Boolean!) {
    setHostMaintenance(id: $id, maintenance: $maintenance) { id status }
  }
`);

type Host = AdminHostsQuery['hosts'][number];

/** Heartbeats move hosts' status and allocations: the page asks again this often while it is open. */
const REFRESH_MS = 10_000;

const TONE: Record<Host['status'], string> = { UP: 'running', DOWN: 'error', MAINTENANCE: 'busy' };

/** The hosts: each one's allocated against total CPU, memory and disk, and maintenance on and off. */
export function HostsPage() {
  const [hosts, setHosts] = useState<Host[] | null>(null);
  const [problem, setProblem] = useState<string | null>(null);

  const load = useCallback(() => request(AdminHosts).then(({ hosts }) => {
    setHosts([...hosts].sort((a, b) => a.region.name.localeCompare(b.region.name) || a.name.localeCompare(b.name)));
    setProblem(null);
  }, (error: ApiError) => setProblem(error.message)), []);

  useEffect(() => {
    void load();
    const timer = setInterval(load, REFRESH_MS);
    return () => clearInterval(timer);
  }, [load]);

  const changed = (host: Pick<Host, 'id' | 'status'>) => setHosts((current) => current?.map((h) => (h.id === host.id ? { ...h, status: host.status } : h)) ?? current);

  return (
    <section>
      <h1>Hosts</h1>
      {problem ? <p className="banner error" role="alert">{problem}</p> : null}
      {hosts === null ? <p role="status">Loading the hosts…</p> : hosts.length === 0 ? (
        <Empty title="No hosts yet">
          <p>A host runs the instances. Enroll one with the <code>enrollHost</code> mutation (its id and region), then start its agent with the credentials it answers; it shows here once its first heartbeat arrives.</p>
        </Empty>
      ) : (
        <ul className="admin-cards" aria-label="Hosts">
          {hosts.map((host) => <HostCard key={host.id} host={host} onChanged={changed} />)}
        </ul>
      )}
    </section>
  );
}

function HostCard({ host, onChanged }: { host: Host; onChanged: (host: Pick<Host, 'id' | 'status'>) => void }) {
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);
  const maintenance = host.status === 'MAINTENANCE';

  const toggle = async () => {
    setBusy(true);
    setProblem(null);
    try {
      onChanged((await request(SetHostMaintenance, { id: host.id, maintenance: !maintenance })).setHostMaintenance);
    } catch (error) {
      setProblem(error instanceof ApiError ? error.message : String(error));
    } finally {
      setBusy(false);
    }
  };

  const headingId = `host-${host.id}`;
  return (
    <li className="admin-card" aria-labelledby={headingId}>
      <div className="heading">
        <h2 id={headingId}>{host.name}</h2>
        <span className={`status status-${TONE[host.status]}`}>{host.status}</span>
      </div>
      <p className="muted">
        {host.region.name} · {host.kinds.map((k) => (k === 'VM' ? 'VMs' : 'containers')).join(' and ') || 'no kinds yet'}
        {host.lastHeartbeatAt ? ` · heartbeat ${new Date(host.lastHeartbeatAt).toLocaleTimeString('en')}` : ' · no heartbeat yet'}
      </p>
      {hostCapacity(host).map(({ label, unit, usage }) => (
        <UsageBar key={label} label={label} usage={usage} figures={`${usage.used} of ${usage.total} ${unit} allocated`} />
      ))}
      {problem ? <p className="field-error" role="alert">{problem}</p> : null}
      <p className="hint">{maintenance ? 'In maintenance: no new instance is placed here.' : 'New instances may be placed here.'}</p>
      <button type="button" className="secondary" onClick={toggle} disabled={busy}>
        {maintenance ? `End maintenance of ${host.name}` : `Put ${host.name} in maintenance`}
      </button>
    </li>
  );
}
