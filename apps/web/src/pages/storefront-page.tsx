import { useEffect, useState, type CSSProperties, type FormEvent } from 'react';
import { ApiError } from '../api/api-client.js';
import { formatMoney, formErrors } from '../api/field-errors.js';
import { inkOn, storefronts, type StorefrontPlan } from '../api/storefront-api.js';
import { Field, GeneralErrors, noErrors } from '../components/form.js';

type Catalog = Awaited<ReturnType<typeof storefronts.catalog>>;

const size = (plan: StorefrontPlan) => `${plan.vcpus} vCPU · ${plan.memoryMb >= 1024 ? `${plan.memoryMb / 1024} GB` : `${plan.memoryMb} MB`} memory · ${plan.diskGb} GB disk`;

/**
 * A reseller's public storefront, /store/<slug>: its plans at its customers' prices, in its name and
 * colour, and a sign-up that opens a customer account under it. The person sets a password from the
 * link mailed to them, which proves the email is theirs before the account can be used.
 */
export function StorefrontPage({ slug }: { slug: string }) {
  const [catalog, setCatalog] = useState<Catalog | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [form, setForm] = useState({ name: '', email: '', accountName: '' });
  const [errors, setErrors] = useState(noErrors);
  const [busy, setBusy] = useState(false);
  const [sentTo, setSentTo] = useState<string | null>(null);

  useEffect(() => {
    storefronts.catalog(slug).then(setCatalog, (error: ApiError) => setProblem(error.code === 'NOT_FOUND' ? 'There is no storefront here.' : error.message));
  }, [slug]);

  useEffect(() => {
    if (catalog) document.title = `${catalog.storefront.name} · Cloud servers`;
  }, [catalog]);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    try {
      const { email } = await storefronts.signUp(slug, { name: form.name, email: form.email, ...(form.accountName.trim() ? { accountName: form.accountName } : {}) });
      setSentTo(email);
      setErrors(noErrors);
    } catch (error) {
      setErrors(formErrors(error instanceof ApiError ? error.errors : [{ message: String(error) }], ['name', 'email', 'accountName']));
    } finally {
      setBusy(false);
    }
  };

  if (problem) return <section className="empty"><h1>{problem}</h1><p>Check the address you were given.</p></section>;
  if (!catalog) return <p className="loading" role="status">Loading…</p>;
  const { storefront, plans } = catalog;
  const brand = { '--brand': storefront.brandColour, '--brand-ink': inkOn(storefront.brandColour) } as CSSProperties;
  return (
    <div className="storefront" style={brand}>
      <header className="storefront-band">
        <h1>{storefront.name}</h1>
        <p>Cloud servers and containers, billed by the hour in {storefront.currency}.</p>
      </header>
      <section aria-labelledby="plans-heading">
        <h2 id="plans-heading">Plans</h2>
        {plans.length === 0 ? <p className="muted">No plans are on sale yet.</p> : (
          <ul className="store-plans">
            {plans.map((plan) => (
              <li key={plan.id} className="store-plan">
                <span className="plan-name">{plan.name}</span>
                <span className="muted">{plan.kind === 'VM' ? 'Virtual machine' : 'Container'} · {size(plan)}</span>
                <span className="price"><strong>{formatMoney(plan.monthlyPrice)}</strong> a month, or {formatMoney(plan.hourlyPrice)} an hour</span>
              </li>
            ))}
          </ul>
        )}
      </section>
      <section aria-labelledby="sign-up-heading" className="narrow">
        <h2 id="sign-up-heading">Sign up</h2>
        {sentTo ? (
          <div className="banner" role="status">
            <p>Almost there: we sent a link to <strong>{sentTo}</strong>. Open it to choose your password, then sign in.</p>
          </div>
        ) : (
          <form onSubmit={submit} noValidate>
            <GeneralErrors errors={errors} />
            <Field label="Your name" name="name" autoComplete="name" required value={form.name} onChange={(e) => setForm({ ...form, name: e.target.value })} error={errors.fields.name} />
            <Field label="Email" type="email" name="email" autoComplete="email" required value={form.email} onChange={(e) => setForm({ ...form, email: e.target.value })} error={errors.fields.email} />
            <Field label="Company (optional)" name="accountName" autoComplete="organization" value={form.accountName} onChange={(e) => setForm({ ...form, accountName: e.target.value })} error={errors.fields.accountName} hint="The account's name on your invoices; yours if left empty." />
            <button type="submit" disabled={busy}>{busy ? 'Signing up…' : 'Sign up'}</button>
            <p className="hint">We email you a link to choose your password: it shows the address is yours.</p>
          </form>
        )}
      </section>
    </div>
  );
}
