import { useEffect, useState, type FormEvent } from 'react';
import { ApiError, request } from '../api/api-client.js';
import { subtractDecimal } from '../api/decimal.js';
import { formatMoney, formErrors, type FormErrors } from '../api/field-errors.js';
import { storefronts, type CustomerPrice } from '../api/storefront-api.js';
import { Field, GeneralErrors, noErrors } from '../components/form.js';
import { graphql } from '../gql/index.js';
import type { ResellerPlansQuery } from '../gql/graphql.js';

const ResellerPlans = graphql(`
  query ResellerPlans {
    plans { id name kind vcpus memoryMb diskGb cost { amount currency } }
  }
`);

const SetPrice = graphql(`
  mutation SetPrice($input: SetPriceInput!) {
    setPrice(input: $input) { id hourlyPrice { amount currency } monthlyPrice { amount currency } }
  }
`);

type Plan = ResellerPlansQuery['plans'][number];

/**
 * A reseller's prices: per plan, what the platform charges it an hour (its cost), what its customers
 * pay, and the margin between; a new price is set here (setPrice) and applies from now on.
 */
export function ResellerPricesPage() {
  const [plans, setPlans] = useState<Plan[] | null>(null);
  const [prices, setPrices] = useState<Map<string, CustomerPrice> | null>(null);
  const [problem, setProblem] = useState<string | null>(null);

  useEffect(() => {
    Promise.all([request(ResellerPlans), storefronts.settings()]).then(([{ plans }, settings]) => {
      setPlans(plans);
      setPrices(new Map(settings.prices.map((p) => [p.planId, p])));
    }, (error: ApiError) => setProblem(error.message));
  }, []);

  if (problem) return <div className="banner error" role="alert"><p>{problem}</p></div>;
  if (!plans || !prices) return <p className="loading" role="status">Loading…</p>;
  return (
    <section>
      <h1>Prices</h1>
      <p className="muted">What your customers pay per plan, beside what the platform charges you. A new price applies from now on; usage before it keeps the price it had.</p>
      <ul className="instances">
        {plans.map((plan) => (
          <PlanPrice key={plan.id} plan={plan} price={prices.get(plan.id)} onSaved={(price) => setPrices(new Map(prices).set(plan.id, price))} />
        ))}
      </ul>
    </section>
  );
}

function PlanPrice({ plan, price, onSaved }: { plan: Plan; price: CustomerPrice | undefined; onSaved: (price: CustomerPrice) => void }) {
  const [hourly, setHourly] = useState(price?.hourlyPrice ?? '');
  const [monthly, setMonthly] = useState(price?.monthlyPrice ?? '');
  const [errors, setErrors] = useState<FormErrors>(noErrors);
  const [busy, setBusy] = useState(false);
  const [saved, setSaved] = useState(false);

  const save = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setSaved(false);
    try {
      const { setPrice } = await request(SetPrice, { input: { planId: plan.id, hourlyPrice: hourly, monthlyPrice: monthly } });
      onSaved({ planId: plan.id, currency: setPrice.hourlyPrice.currency, hourlyPrice: setPrice.hourlyPrice.amount, monthlyPrice: setPrice.monthlyPrice.amount });
      setErrors(noErrors);
      setSaved(true);
    } catch (error) {
      setErrors(formErrors(error instanceof ApiError ? error.errors : [{ message: String(error) }], ['hourlyPrice', 'monthlyPrice', 'planId']));
    } finally {
      setBusy(false);
    }
  };

  const margin = price && plan.cost ? subtractDecimal(price.hourlyPrice, plan.cost.amount) : null;
  return (
    <li className="instance-row" aria-label={plan.name}>
      <div>
        <span className="instance-name">{plan.name}</span> <span className="muted">{plan.kind} · {plan.vcpus} vCPU · {plan.memoryMb} MB · {plan.diskGb} GB</span>
        <dl className="facts">
          <dt>Your cost</dt><dd className="price">{plan.cost ? `${formatMoney(plan.cost)} an hour` : '—'}</dd>
          <dt>Your price</dt><dd className="price">{price ? `${formatMoney({ amount: price.hourlyPrice, currency: price.currency })} an hour, ${formatMoney({ amount: price.monthlyPrice, currency: price.currency })} a month` : 'not known yet'}</dd>
          <dt>Margin</dt><dd className="price">{margin !== null && price ? <span className={margin.startsWith('-') ? 'field-error' : undefined}>{formatMoney({ amount: margin, currency: price.currency })} an hour{margin.startsWith('-') ? ' (below your cost)' : ''}</span> : '—'}</dd>
        </dl>
      </div>
      <form onSubmit={save} noValidate className="price-form">
        <GeneralErrors errors={errors} />
        <Field label={`${plan.name}: price an hour`} name="hourlyPrice" inputMode="decimal" value={hourly} onChange={(e) => setHourly(e.target.value)} error={errors.fields.hourlyPrice} />
        <Field label={`${plan.name}: price a month`} name="monthlyPrice" inputMode="decimal" value={monthly} onChange={(e) => setMonthly(e.target.value)} error={errors.fields.monthlyPrice} />
        <button type="submit" disabled={busy}>{busy ? 'Saving…' : 'Set price'}</button>
        {saved ? <p className="hint" role="status">Saved: your customers pay this from now on.</p> : null}
      </form>
    </li>
  );
}
