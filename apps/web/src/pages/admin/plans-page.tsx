import { useEffect, useState, type FormEvent } from 'react';
import { ApiError, request } from '../../api/api-client.js';
import { formErrors, formatMoney } from '../../api/field-errors.js';
import { Empty, Field, FieldError, GeneralErrors, noErrors } from '../../components/form.js';
import { graphql } from '../../gql/index.js';
import type { AdminPlansQuery, InstanceKind } from '../../gql/graphql.js';

const AdminPlans = graphql(`
  query AdminPlans {
    me { currency }
    plans { id name kind vcpus memoryMb diskGb retired hourlyPrice { amount currency } monthlyPrice { amount currency } }
  }
`);

const SavePlan = graphql(`
  mutation SavePlan($input: SavePlanInput!) {
    savePlan(input: $input) { id name kind vcpus memoryMb diskGb retired hourlyPrice { amount currency } monthlyPrice { amount currency } }
  }
`);

const RetirePlan = graphql(`
  mutation RetirePlan($id: ID!) {
    retirePlan(id: $id) { id retired }
  }
`);

type Plan = AdminPlansQuery['plans'][number];

// The API names a price's fields by its place in the list: the form has the one price, the first.
const PRICE = 'prices[0]';
const FIELDS = ['id', 'name', 'kind', 'vcpus', 'memoryMb', 'diskGb', 'prices', `${PRICE}.currency`, `${PRICE}.hourlyPrice`, `${PRICE}.monthlyPrice`];

const EMPTY_FORM = { id: '', name: '', kind: 'CONTAINER' as InstanceKind, vcpus: '1', memoryMb: '1024', diskGb: '10', currency: '', hourlyPrice: '', monthlyPrice: '' };

/** A whole number typed in a field, or 0 (which the API refuses beside the field, in its words). */
const whole = (text: string) => (/^\d+$/.test(text.trim()) ? Number(text) : 0);

/** The plans, retired ones too; a new plan with its price; retiring one. */
export function PlansPage() {
  const [plans, setPlans] = useState<Plan[] | null>(null);
  const [form, setForm] = useState(EMPTY_FORM);
  const [errors, setErrors] = useState(noErrors);
  const [busy, setBusy] = useState(false);
  const [saved, setSaved] = useState<string | null>(null);

  useEffect(() => {
    request(AdminPlans).then(({ me, plans }) => {
      setPlans(plans);
      setForm((current) => ({ ...current, currency: current.currency || me.currency }));
    }, (error: ApiError) => setErrors({ fields: {}, general: [error.message] }));
  }, []);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setSaved(null);
    try {
      const { savePlan } = await request(SavePlan, {
        input: {
          id: form.id, name: form.name, kind: form.kind, vcpus: whole(form.vcpus), memoryMb: whole(form.memoryMb), diskGb: whole(form.diskGb),
          prices: [{ currency: form.currency, hourlyPrice: form.hourlyPrice, monthlyPrice: form.monthlyPrice }],
        },
      });
      setPlans((current) => [...(current ?? []).filter((p) => p.id !== savePlan.id), savePlan]);
      setSaved(savePlan.name);
      setErrors(noErrors);
      setForm((current) => ({ ...EMPTY_FORM, currency: current.currency }));
    } catch (error) {
      setErrors(formErrors(error instanceof ApiError ? error.errors : [{ message: String(error) }], FIELDS));
    } finally {
      setBusy(false);
    }
  };

  const retired = (id: string) => setPlans((current) => current?.map((p) => (p.id === id ? { ...p, retired: true } : p)) ?? current);
  const set = (field: keyof typeof form) => (event: { target: { value: string } }) => setForm((current) => ({ ...current, [field]: event.target.value }));
  return (
    <section>
      <h1>Plans</h1>
      {plans === null ? <p role="status">Loading the plans…</p> : plans.length === 0 ? (
        <Empty title="No plans yet">
          <p>A plan is a size customers choose, with its price. Create one with the form below; customers see it at once.</p>
        </Empty>
      ) : (
        <ul className="admin-rows" aria-label="Plans">
          {plans.map((plan) => <PlanRow key={plan.id} plan={plan} onRetired={retired} />)}
        </ul>
      )}
      <form className="admin-form" onSubmit={submit} noValidate aria-labelledby="new-plan">
        <h2 id="new-plan">New plan</h2>
        <GeneralErrors errors={errors} />
        {saved ? <p className="banner" role="status">Plan {saved} saved: customers paying in {form.currency} can choose it now.</p> : null}
        <div className="row">
          <Field label="Plan id" name="id" value={form.id} onChange={set('id')} error={errors.fields.id} hint="e.g. ct-2g" autoCapitalize="none" spellCheck={false} />
          <Field label="Plan name" name="name" value={form.name} onChange={set('name')} error={errors.fields.name} />
          <div className="field">
            <label htmlFor="plan-kind">Kind</label>
            <select id="plan-kind" value={form.kind} onChange={set('kind')} aria-invalid={errors.fields.kind ? true : undefined}>
              <option value="CONTAINER">Container</option>
              <option value="VM">Virtual machine</option>
            </select>
            <FieldError error={errors.fields.kind} />
          </div>
          <Field label="vCPUs" name="vcpus" inputMode="numeric" value={form.vcpus} onChange={set('vcpus')} error={errors.fields.vcpus} />
          <Field label="Memory (MB)" name="memoryMb" inputMode="numeric" value={form.memoryMb} onChange={set('memoryMb')} error={errors.fields.memoryMb} />
          <Field label="Disk (GB)" name="diskGb" inputMode="numeric" value={form.diskGb} onChange={set('diskGb')} error={errors.fields.diskGb} />
          <Field label="Currency" name="currency" value={form.currency} onChange={set('currency')} error={errors.fields[`${PRICE}.currency`] ?? errors.fields.prices} autoCapitalize="characters" />
          <Field label="Price an hour" name="hourlyPrice" inputMode="decimal" value={form.hourlyPrice} onChange={set('hourlyPrice')} error={errors.fields[`${PRICE}.hourlyPrice`]} hint="Exact, e.g. 0.0075" />
          <Field label="Price a month" name="monthlyPrice" inputMode="decimal" value={form.monthlyPrice} onChange={set('monthlyPrice')} error={errors.fields[`${PRICE}.monthlyPrice`]} hint="Also the cap of hourly billing" />
        </div>
        <button type="submit" disabled={busy}>{busy ? 'Saving…' : 'Create plan'}</button>
      </form>
    </section>
  );
}

function PlanRow({ plan, onRetired }: { plan: Plan; onRetired: (id: string) => void }) {
  const [confirming, setConfirming] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);

  const retire = async () => {
    try {
      onRetired((await request(RetirePlan, { id: plan.id })).retirePlan.id);
    } catch (error) {
      setProblem(error instanceof ApiError ? error.message : String(error));
    }
    setConfirming(false);
  };

  return (
    <li className="admin-row" aria-label={plan.name}>
      <span className="name">{plan.name} <span className="muted">({plan.id})</span></span>
      {plan.retired ? <span className="status status-stopped">RETIRED</span> : <span className="status status-running">OFFERED</span>}
      <span className="muted">{plan.kind === 'VM' ? 'VM' : 'Container'} · {plan.vcpus} vCPU · {plan.memoryMb} MB · {plan.diskGb} GB</span>
      <span className="price">{formatMoney(plan.hourlyPrice)} an hour, {formatMoney(plan.monthlyPrice)} a month</span>
      {problem ? <p className="field-error" role="alert">{problem}</p> : null}
      {plan.retired ? null : confirming ? (
        <div className="actions">
          <button type="button" className="danger" onClick={retire}>Retire {plan.name} for good</button>
          <button type="button" className="secondary" onClick={() => setConfirming(false)}>Keep it</button>
          <p className="hint">Instances on it keep running; no new one can choose it.</p>
        </div>
      ) : (
        <div className="actions">
          <button type="button" className="danger secondary" onClick={() => setConfirming(true)} aria-label={`Retire ${plan.name}…`}>Retire…</button>
        </div>
      )}
    </li>
  );
}
