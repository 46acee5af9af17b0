import { useEffect, useMemo, useState, type FormEvent } from 'react';
import { ApiError, request } from '../api/api-client.js';
import { formErrors, formatMoney } from '../api/field-errors.js';
import { Field, FieldError, GeneralErrors, noErrors, TextAreaField } from '../components/form.js';
import { graphql } from '../gql/index.js';
import type { BillingCycle, CreateChoicesQuery, InstanceKind } from '../gql/graphql.js';
import { navigate } from '../router.js';
import { keyErrorsByLine, sshKeyLines } from './instance/boot-config.js';

const CreateChoices = graphql(`
  query CreateChoices($kind: InstanceKind) {
    images(kind: $kind) { id name os version status }
    plans(kind: $kind) { id name vcpus memoryMb diskGb retired hourlyPrice { amount currency } monthlyPrice { amount currency } }
    regions { id name }
  }
`);

const CreateInstance = graphql(`
  mutation CreateInstance($input: CreateInstanceInput!) {
    createInstance(input: $input) { id }
  }
`);

const FIELDS = ['name', 'kind', 'imageId', 'planId', 'regionId', 'billingCycle', 'sshKeys', 'userData'];

/** A new instance: its kind, then an image, a plan at the customer's price, a region and a name; SSH keys and user data for its first boot. */
export function CreateInstancePage() {
  const [kind, setKind] = useState<InstanceKind>('CONTAINER');
  const [choices, setChoices] = useState<CreateChoicesQuery | null>(null);
  const [name, setName] = useState('');
  const [imageId, setImageId] = useState('');
  const [planId, setPlanId] = useState('');
  const [regionId, setRegionId] = useState('');
  const [billingCycle, setBillingCycle] = useState<BillingCycle>('HOURLY');
  const [sshKeys, setSshKeys] = useState('');
  const [userData, setUserData] = useState('');
  const [errors, setErrors] = useState(noErrors);
  const [busy, setBusy] = useState(false);
  // One per form: a second click of Create (or a retry after a lost answer) makes no second instance.
  const idempotencyKey = useMemo(() => globalThis.crypto?.randomUUID?.(), []);

  useEffect(() => {
    setChoices(null);
    request(CreateChoices, { kind }).then((loaded) => {
      setChoices(loaded);
      setImageId(loaded.images.find((i) => i.status === 'AVAILABLE')?.id ?? '');
      setPlanId(loaded.plans.find((p) => !p.retired)?.id ?? '');
      setRegionId((current) => current || loaded.regions[0]?.id || '');
    }, (error: ApiError) => setErrors({ fields: {}, general: [error.message] }));
  }, [kind]);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    const keys = sshKeyLines(sshKeys);
    try {
      const input = { name, kind, imageId, planId, regionId, billingCycle, idempotencyKey, sshKeys: keys.keys, userData: userData === '' ? null : userData };
      const { createInstance } = await request(CreateInstance, { input });
      navigate(`/instances/${createInstance.id}`);
    } catch (error) {
      setErrors(formErrors(keyErrorsByLine(error instanceof ApiError ? error.errors : [{ message: String(error) }], keys.lines), FIELDS));
      setBusy(false);
    }
  };

  const images = choices?.images.filter((i) => i.status === 'AVAILABLE') ?? [];
  const plans = choices?.plans.filter((p) => !p.retired) ?? [];
  return (
    <section>
      <h1>Create an instance</h1>
      <form onSubmit={submit} noValidate className="create">
        <GeneralErrors errors={errors} />
        <fieldset>
          <legend>Kind</legend>
          {(['CONTAINER', 'VM'] as const).map((value) => (
            <label key={value} className="choice">
              <input type="radio" name="kind" value={value} checked={kind === value} onChange={() => setKind(value)} />
              {value === 'VM' ? 'Virtual machine' : 'Container'}
            </label>
          ))}
          <FieldError error={errors.fields.kind} />
        </fieldset>
        {choices === null ? <p role="status">Loading images, plans and regions…</p> : (
          <>
            <div className="field">
              <label htmlFor="image">Image</label>
              <select id="image" value={imageId} onChange={(e) => setImageId(e.target.value)} aria-invalid={errors.fields.imageId ? true : undefined}>
                {images.length === 0 ? <option value="">No image of this kind is available</option> : null}
                {images.map((image) => <option key={image.id} value={image.id}>{image.name} ({image.os} {image.version})</option>)}
              </select>
              <FieldError error={errors.fields.imageId} />
            </div>
            <fieldset>
              <legend>Plan</legend>
              {plans.length === 0 ? <p>No plan of this kind is offered: choose the other kind.</p> : null}
              <div className="plans">
                {plans.map((plan) => (
                  <label key={plan.id} className="plan">
                    <input type="radio" name="plan" value={plan.id} checked={planId === plan.id} onChange={() => setPlanId(plan.id)} />
                    <span className="plan-name">{plan.name}</span>
                    <span className="muted">{plan.vcpus} vCPU · {plan.memoryMb} MB · {plan.diskGb} GB</span>
                    <span className="price">{formatMoney(plan.hourlyPrice)} an hour, at most {formatMoney(plan.monthlyPrice)} a month</span>
                  </label>
                ))}
              </div>
              <FieldError error={errors.fields.planId} />
            </fieldset>
            <div className="field">
              <label htmlFor="region">Region</label>
              <select id="region" value={regionId} onChange={(e) => setRegionId(e.target.value)} aria-invalid={errors.fields.regionId ? true : undefined}>
                {choices.regions.map((region) => <option key={region.id} value={region.id}>{region.name}</option>)}
              </select>
              <FieldError error={errors.fields.regionId} />
            </div>
            <div className="field">
              <label htmlFor="billing">Billing</label>
              <select id="billing" value={billingCycle} onChange={(e) => setBillingCycle(e.target.value as BillingCycle)}>
                <option value="HOURLY">By the hour (capped at the monthly price)</option>
                <option value="MONTHLY">By the month</option>
              </select>
              <FieldError error={errors.fields.billingCycle} />
            </div>
            <Field label="Name" name="name" required value={name} onChange={(e) => setName(e.target.value)} error={errors.fields.name}
              hint="Lowercase letters, digits and hyphens: it becomes the instance's host name." autoCapitalize="none" spellCheck={false} />
            <TextAreaField label="SSH keys (optional)" name="sshKeys" rows={3} value={sshKeys} onChange={(e) => setSshKeys(e.target.value)} error={errors.fields.sshKeys}
              hint="OpenSSH public keys, one a line (ssh-ed25519 AAAA… you@laptop); a virtual machine gets them through cloud-init at its first boot." autoCapitalize="none" spellCheck={false} />
            <TextAreaField label="User data (optional)" name="userData" rows={4} value={userData} onChange={(e) => setUserData(e.target.value)} error={errors.fields.userData}
              hint="A #cloud-config or script for cloud-init at a virtual machine's first boot, up to 64 KB, handed over as written." autoCapitalize="none" spellCheck={false} />
            <button type="submit" disabled={busy || !imageId || !planId}>{busy ? 'Creating…' : 'Create instance'}</button>
          </>
        )}
      </form>
    </section>
  );
}
