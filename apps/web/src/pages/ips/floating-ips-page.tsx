import { useEffect, useState, type FormEvent } from 'react';
import { ApiError, request } from '../../api/api-client.js';
import { formErrors, type FormErrors } from '../../api/field-errors.js';
import { ConfirmButton } from '../../components/confirm-button.js';
import { Empty, Field, FieldError, GeneralErrors, noErrors } from '../../components/form.js';
import { graphql } from '../../gql/index.js';
import type { FloatingIpFragment, FloatingIpsQuery, IpFamily } from '../../gql/graphql.js';
import { Link } from '../../router.js';
import '../account/account.css';

const FloatingIps = graphql(`
  query FloatingIps {
    ipAddresses(first: 100) { totalCount edges { node { ...FloatingIp } } }
    regions { id name }
    instances(first: 100) { edges { node { id name region { id } } } }
  }
  fragment FloatingIp on IpAddress { id address family floating reverseDns region { id name } instance { id name } }
`);

const AllocateIp = graphql(`
  mutation AllocateIp($input: AllocateIpInput!) { allocateIp(input: $input) { ...FloatingIp } }
`);
const AssignIp = graphql(`
  mutation AssignIp($ipId: ID!, $instanceId: ID!) { assignIp(ipId: $ipId, instanceId: $instanceId) { ...FloatingIp } }
`);
const UnassignIp = graphql(`
  mutation UnassignIp($ipId: ID!) { unassignIp(ipId: $ipId) { ...FloatingIp } }
`);
const ReleaseIp = graphql(`
  mutation ReleaseIp($ipId: ID!) { releaseIp(ipId: $ipId) { id } }
`);
const SetReverseDns = graphql(`
  mutation SetReverseDns($ipId: ID!, $hostname: String!) { setReverseDns(ipId: $ipId, hostname: $hostname) { ...FloatingIp } }
`);

type Ip = FloatingIpFragment;
type Region = FloatingIpsQuery['regions'][number];
type Instance = FloatingIpsQuery['instances']['edges'][number]['node'];

const errorsOf = (error: unknown, fields: string[]): FormErrors => formErrors(error instanceof ApiError ? error.errors : [{ message: String(error) }], fields);

/** The customer's floating addresses: allocated in a region, moved between its instances there, their reverse DNS, released. */
export function FloatingIpsPage() {
  const [ips, setIps] = useState<Ip[] | null>(null);
  const [more, setMore] = useState(false);
  const [regions, setRegions] = useState<Region[]>([]);
  const [instances, setInstances] = useState<Instance[]>([]);
  const [problem, setProblem] = useState<string | null>(null);

  useEffect(() => {
    request(FloatingIps).then((data) => {
      // An instance's own addresses come and go with it: only floating ones are this page's.
      setIps(data.ipAddresses.edges.map((e) => e.node).filter((ip) => ip.floating));
      setMore(data.ipAddresses.totalCount > data.ipAddresses.edges.length);
      setRegions(data.regions);
      setInstances(data.instances.edges.map((e) => e.node));
    }, (error: ApiError) => setProblem(error.message));
  }, []);

  const changed = (ip: Ip) => setIps((current) => (current ?? []).map((i) => (i.id === ip.id ? ip : i)));
  const released = (id: string) => setIps((current) => (current ?? []).filter((i) => i.id !== id));

  return (
    <section>
      <h1>Floating IPs</h1>
      {problem ? <p className="banner error" role="alert">{problem}</p> : null}
      {ips === null ? (problem ? null : <p role="status">Loading your addresses…</p>) : ips.length === 0 ? (
        <Empty title="No floating IPs yet">
          <p>A floating address stays yours until you release it, and moves between your instances in its region. Allocate one below.</p>
        </Empty>
      ) : (
        <ul className="item-rows" aria-label="Floating IPs">
          {ips.map((ip) => (
            <FloatingIpRow key={ip.id} ip={ip} instances={instances.filter((i) => i.region.id === ip.region.id)} onChanged={changed} onReleased={released} />
          ))}
        </ul>
      )}
      {more ? <p className="hint">Only your first 100 addresses are shown here; the API (ipAddresses) pages through the rest.</p> : null}
      <AllocateForm regions={regions} onAllocated={(ip) => setIps((current) => [...(current ?? []), ip])} />
    </section>
  );
}

function AllocateForm({ regions, onAllocated }: { regions: Region[]; onAllocated: (ip: Ip) => void }) {
  const [regionId, setRegionId] = useState('');
  const [family, setFamily] = useState<IpFamily>('IPV4');
  const [errors, setErrors] = useState(noErrors);
  const [busy, setBusy] = useState(false);
  const [made, setMade] = useState<string | null>(null);
  const region = regionId || regions[0]?.id || '';

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setMade(null);
    try {
      const { allocateIp } = await request(AllocateIp, { input: { regionId: region, family } });
      onAllocated(allocateIp);
      setMade(`${allocateIp.address} is yours in ${allocateIp.region.name}.`);
      setErrors(noErrors);
    } catch (error) {
      setErrors(errorsOf(error, ['regionId', 'family']));
    } finally {
      setBusy(false);
    }
  };

  return (
    <form className="page-form" onSubmit={submit} noValidate aria-labelledby="allocate-ip">
      <h2 id="allocate-ip">Allocate an address</h2>
      <GeneralErrors errors={errors} />
      {made ? <p className="banner" role="status">{made}</p> : null}
      <div className="field">
        <label htmlFor="allocate-region">Region</label>
        <select id="allocate-region" value={region} onChange={(e) => setRegionId(e.target.value)} aria-invalid={errors.fields.regionId ? true : undefined}>
          {regions.map((r) => <option key={r.id} value={r.id}>{r.name}</option>)}
        </select>
        <FieldError error={errors.fields.regionId} />
      </div>
      <fieldset>
        <legend>Family</legend>
        {(['IPV4', 'IPV6'] as const).map((f) => (
          <label key={f} className="choice">
            <input type="radio" name="ip-family" value={f} checked={family === f} onChange={() => setFamily(f)} />
            {f === 'IPV4' ? 'IPv4' : 'IPv6'}
          </label>
        ))}
        <FieldError error={errors.fields.family} />
      </fieldset>
      <button type="submit" disabled={busy || !region}>{busy ? 'Allocating…' : 'Allocate address'}</button>
    </form>
  );
}

function FloatingIpRow({ ip, instances, onChanged, onReleased }: { ip: Ip; instances: Instance[]; onChanged: (ip: Ip) => void; onReleased: (id: string) => void }) {
  const [busy, setBusy] = useState(false);
  const [errors, setErrors] = useState(noErrors);
  const [target, setTarget] = useState('');
  const [hostname, setHostname] = useState(ip.reverseDns ?? '');
  const instanceId = target || instances[0]?.id || '';

  /** One change to the address; its errors beside the field they name (instanceId, hostname), the rest above. */
  const act = async (work: () => Promise<Ip | null>) => {
    setBusy(true);
    try {
      const next = await work();
      if (next) {
        onChanged(next);
        setHostname(next.reverseDns ?? '');
      }
      setErrors(noErrors);
    } catch (error) {
      setErrors(errorsOf(error, ['instanceId', 'hostname']));
    } finally {
      setBusy(false);
    }
  };
  const assign = (event: FormEvent) => {
    event.preventDefault();
    void act(async () => (await request(AssignIp, { ipId: ip.id, instanceId })).assignIp);
  };
  const saveReverseDns = (event: FormEvent) => {
    event.preventDefault();
    void act(async () => (await request(SetReverseDns, { ipId: ip.id, hostname: hostname.trim() })).setReverseDns);
  };
  const release = () => void act(async () => {
    await request(ReleaseIp, { ipId: ip.id });
    onReleased(ip.id);
    return null;
  });

  return (
    <li className="item-row" aria-label={ip.address}>
      <div>
        <p className="name">{ip.address}</p>
        <p className="muted">
          {ip.family === 'IPV4' ? 'IPv4' : 'IPv6'} · {ip.region.name} · {ip.instance ? <>on <Link href={`/instances/${ip.instance.id}`}>{ip.instance.name}</Link></> : 'not assigned'}
        </p>
      </div>
      <div className="actions">
        <ConfirmButton action="Release" of={ip.address} busy={busy} confirm="Release it" onConfirm={release}
          question={<>Release {ip.address}? It goes back to the pool{ip.instance ? ` and off ${ip.instance.name}` : ''}; you may not get it again.</>} />
      </div>
      <div className="wide">
        <GeneralErrors errors={errors} />
        {ip.instance ? (
          <button type="button" className="secondary" disabled={busy} onClick={() => void act(async () => (await request(UnassignIp, { ipId: ip.id })).unassignIp)}>
            Unassign from {ip.instance.name}
          </button>
        ) : instances.length === 0 ? (
          <p className="hint">No instance of yours in {ip.region.name} to assign it to.</p>
        ) : (
          <form className="inline-form" onSubmit={assign}>
            <div className="field">
              <label htmlFor={`assign-${ip.id}`}>Assign {ip.address} to</label>
              <select id={`assign-${ip.id}`} value={instanceId} onChange={(e) => setTarget(e.target.value)} aria-invalid={errors.fields.instanceId ? true : undefined}>
                {instances.map((i) => <option key={i.id} value={i.id}>{i.name}</option>)}
              </select>
              <FieldError error={errors.fields.instanceId} />
            </div>
            <button type="submit" className="secondary" disabled={busy}>Assign</button>
          </form>
        )}
      </div>
      <form className="inline-form wide" onSubmit={saveReverseDns}>
        <Field label={`Reverse DNS of ${ip.address}`} name="hostname" value={hostname} onChange={(e) => setHostname(e.target.value)} error={errors.fields.hostname}
          hint={ip.reverseDns ? undefined : 'None: the address answers with its instance’s name'} autoCapitalize="none" spellCheck={false} placeholder="mail.example.com" />
        <button type="submit" className="secondary" disabled={busy}>Save</button>
        {ip.reverseDns ? <button type="button" className="secondary" disabled={busy} onClick={() => void act(async () => (await request(SetReverseDns, { ipId: ip.id, hostname: '' })).setReverseDns)}>Clear</button> : null}
      </form>
    </li>
  );
}
