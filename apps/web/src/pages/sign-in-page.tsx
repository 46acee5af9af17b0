import { useState, type FormEvent } from 'react';
import { ApiError, auth, type Person } from '../api/api-client.js';
import { formErrors } from '../api/field-errors.js';
import { Field, GeneralErrors, noErrors } from '../components/form.js';

/** Email and password, and the authenticator's code once the API asks for it (a person with TOTP on); `notice`: why one is back here. */
export function SignInPage({ onSignedIn, notice }: { onSignedIn: (person: Person) => void; notice?: string | null }) {
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [totp, setTotp] = useState('');
  const [askTotp, setAskTotp] = useState(false);
  const [errors, setErrors] = useState(noErrors);
  const [busy, setBusy] = useState(false);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    try {
      onSignedIn(await auth.signIn({ email, password, ...(askTotp && totp ? { totp } : {}) }));
    } catch (error) {
      const refused = error instanceof ApiError ? error.errors : [{ message: String(error) }];
      if (refused.some((e) => e.extensions?.field === 'totp')) setAskTotp(true);
      const shown = formErrors(refused, ['email', 'password', 'totp']);
      // A wrong email or password names no field (it must not say which): shown beside the password.
      if (refused.some((e) => e.extensions?.code === 'UNAUTHENTICATED' && !e.extensions.field)) {
        shown.fields.password = shown.general.shift() ?? 'the email or the password is wrong';
      }
      setErrors(shown);
    } finally {
      setBusy(false);
    }
  };

  return (
    <section className="narrow">
      <h1>Sign in to Awan</h1>
      {notice ? <p className="banner" role="status">{notice}</p> : null}
      <form onSubmit={submit} noValidate>
        <GeneralErrors errors={errors} />
        <Field label="Email" type="email" name="email" autoComplete="username" required value={email} onChange={(e) => setEmail(e.target.value)} error={errors.fields.email} />
        <Field label="Password" type="password" name="password" autoComplete="current-password" required value={password} onChange={(e) => setPassword(e.target.value)} error={errors.fields.password} />
        {askTotp ? (
          <Field label="Code from your authenticator app" name="totp" inputMode="numeric" autoComplete="one-time-code" pattern="\d{6}" maxLength={6} value={totp} onChange={(e) => setTotp(e.target.value)} error={errors.fields.totp} autoFocus />
        ) : null}
        <button type="submit" disabled={busy}>{busy ? 'Signing in…' : 'Sign in'}</button>
      </form>
      <p className="hint">New here? Your invitation mail has a link to set your password first.</p>
    </section>
  );
}
