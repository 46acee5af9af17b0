import { useEffect, useState, type FormEvent } from 'react';
import { ApiError } from '../api/api-client.js';
import { formErrors } from '../api/field-errors.js';
import { storefronts, type StorefrontSettings } from '../api/storefront-api.js';
import { Field, GeneralErrors, noErrors } from '../components/form.js';

/** A reseller's storefront: its address (/store/<slug>), its brand colour, and whether it takes sign-ups. */
export function StorefrontSettingsPage() {
  const [form, setForm] = useState<{ slug: string; brandColour: string; enabled: boolean } | null>(null);
  const [current, setCurrent] = useState<StorefrontSettings | null>(null);
  const [errors, setErrors] = useState(noErrors);
  const [busy, setBusy] = useState(false);
  const [saved, setSaved] = useState(false);

  useEffect(() => {
    storefronts.settings().then(({ storefront }) => {
      setCurrent(storefront);
      setForm(storefront ? { slug: storefront.slug, brandColour: storefront.brandColour, enabled: storefront.enabled } : { slug: '', brandColour: '#1f5fbf', enabled: true });
    }, (error: ApiError) => setErrors(formErrors(error.errors, [])));
  }, []);

  const save = async (event: FormEvent) => {
    event.preventDefault();
    if (!form) return;
    setBusy(true);
    setSaved(false);
    try {
      const { storefront } = await storefronts.setSettings(form);
      setCurrent(storefront);
      setErrors(noErrors);
      setSaved(true);
    } catch (error) {
      setErrors(formErrors(error instanceof ApiError ? error.errors : [{ message: String(error) }], ['slug', 'brandColour', 'enabled']));
    } finally {
      setBusy(false);
    }
  };

  if (!form) return <><GeneralErrors errors={errors} /><p className="loading" role="status">Loading…</p></>;
  const address = current ? `${window.location.origin}/store/${current.slug}` : null;
  return (
    <section className="narrow">
      <h1>Storefront</h1>
      <p className="muted">A public page with your plans at your prices, where new customers sign up under you.</p>
      {address && current?.enabled ? <p>Live at <a href={address}>{address}</a></p> : null}
      <form onSubmit={save} noValidate>
        <GeneralErrors errors={errors} />
        <Field label="Address" name="slug" value={form.slug} onChange={(e) => setForm({ ...form, slug: e.target.value })} error={errors.fields.slug} hint="Lower-case letters, digits and hyphens: the page is /store/<address>." />
        <Field label="Brand colour" name="brandColour" type="color" value={form.brandColour} onChange={(e) => setForm({ ...form, brandColour: e.target.value })} error={errors.fields.brandColour} />
        <div className="field">
          <label className="choice"><input type="checkbox" name="enabled" checked={form.enabled} onChange={(e) => setForm({ ...form, enabled: e.target.checked })} /> Open: the page is public and takes sign-ups</label>
        </div>
        <button type="submit" disabled={busy}>{busy ? 'Saving…' : 'Save storefront'}</button>
        {saved ? <p className="hint" role="status">Saved.</p> : null}
      </form>
    </section>
  );
}
