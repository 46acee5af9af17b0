import { useEffect, useState, type FormEvent } from 'react';
import { ApiError, request } from '../../api/api-client.js';
import { formErrors } from '../../api/field-errors.js';
import { Empty, Field, GeneralErrors, noErrors } from '../../components/form.js';
import { graphql } from '../../gql/index.js';
import type { AdminRegionsQuery } from '../../gql/graphql.js';

const AdminRegions = graphql(`
  query AdminRegions {
    regions { id name dnsZone }
  }
`);

const CreateRegion = graphql(`
  mutation CreateRegion($input: CreateRegionInput!) {
    createRegion(input: $input) { id name dnsZone }
  }
`);

type Region = AdminRegionsQuery['regions'][number];
const FIELDS = ['id', 'name', 'dnsZone'];

/** The regions, and a new one. */
export function RegionsPage() {
  const [regions, setRegions] = useState<Region[] | null>(null);
  const [form, setForm] = useState({ id: '', name: '', dnsZone: '' });
  const [errors, setErrors] = useState(noErrors);
  const [busy, setBusy] = useState(false);
  const [created, setCreated] = useState<string | null>(null);

  useEffect(() => {
    request(AdminRegions).then(({ regions }) => setRegions(regions), (error: ApiError) => setErrors({ fields: {}, general: [error.message] }));
  }, []);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setCreated(null);
    try {
      const { createRegion } = await request(CreateRegion, { input: form });
      setRegions((current) => [...(current ?? []).filter((r) => r.id !== createRegion.id), createRegion]);
      setCreated(createRegion.name);
      setErrors(noErrors);
      setForm({ id: '', name: '', dnsZone: '' });
    } catch (error) {
      setErrors(formErrors(error instanceof ApiError ? error.errors : [{ message: String(error) }], FIELDS));
    } finally {
      setBusy(false);
    }
  };

  const set = (field: keyof typeof form) => (event: { target: { value: string } }) => setForm((current) => ({ ...current, [field]: event.target.value }));
  return (
    <section>
      <h1>Regions</h1>
      {regions === null ? <p role="status">Loading the regions…</p> : regions.length === 0 ? (
        <Empty title="No regions yet">
          <p>A region groups hosts, address pools and images. Create the first with the form below, then enroll a host in it.</p>
        </Empty>
      ) : (
        <ul className="admin-rows" aria-label="Regions">
          {regions.map((region) => (
            <li key={region.id} className="admin-row">
              <span className="name">{region.name}</span>
              <span className="muted">{region.id}</span>
              <span className="muted">Instances are named &lt;name&gt;.{region.id}.{region.dnsZone}</span>
            </li>
          ))}
        </ul>
      )}
      <form className="admin-form" onSubmit={submit} noValidate aria-labelledby="new-region">
        <h2 id="new-region">New region</h2>
        <GeneralErrors errors={errors} />
        {created ? <p className="banner" role="status">Region {created} created: enroll a host and create an address pool in it.</p> : null}
        <div className="row">
          <Field label="Region id" name="id" value={form.id} onChange={set('id')} error={errors.fields.id} hint="A DNS label, e.g. fra1." autoCapitalize="none" spellCheck={false} />
          <Field label="Region name" name="name" value={form.name} onChange={set('name')} error={errors.fields.name} />
          <Field label="DNS zone" name="dnsZone" value={form.dnsZone} onChange={set('dnsZone')} error={errors.fields.dnsZone} hint="e.g. cloud.example.com" autoCapitalize="none" spellCheck={false} />
        </div>
        <button type="submit" disabled={busy}>{busy ? 'Creating…' : 'Create region'}</button>
      </form>
    </section>
  );
}
