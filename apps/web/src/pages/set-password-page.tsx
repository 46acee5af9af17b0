import { useState, type FormEvent } from 'react';
import { ApiError, auth } from '../api/api-client.js';
import { formErrors } from '../api/field-errors.js';
import { Field, GeneralErrors, noErrors } from '../components/form.js';
import { Link } from '../router.js';

/** The page of an invitation's (or a reset's) one-time link: the person chooses a password, then signs in. */
export function SetPasswordPage({ token }: { token: string }) {
  const [password, setPassword] = useState('');
  const [again, setAgain] = useState('');
  const [errors, setErrors] = useState(noErrors);
  const [done, setDone] = useState<string | null>(null);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (password !== again) return setErrors({ fields: { again: 'the two passwords differ' }, general: [] });
    try {
      setDone((await auth.setPassword({ token, password })).email);
    } catch (error) {
      const shown = formErrors(error instanceof ApiError ? error.errors : [{ message: String(error) }], ['password']);
      setErrors(shown);
    }
  };

  if (done) {
    return (
      <section className="narrow">
        <h1>Your password is set</h1>
        <p>Sign in as {done} with it.</p>
        <p><Link href="/" className="button">Sign in</Link></p>
      </section>
    );
  }
  return (
    <section className="narrow">
      <h1>Set your password</h1>
      {token ? null : <p className="banner error" role="alert">This page needs the link from your invitation mail, with its token.</p>}
      <form onSubmit={submit} noValidate>
        <GeneralErrors errors={errors} />
        <Field label="New password" type="password" autoComplete="new-password" required value={password} onChange={(e) => setPassword(e.target.value)} error={errors.fields.password} />
        <Field label="The same password again" type="password" autoComplete="new-password" required value={again} onChange={(e) => setAgain(e.target.value)} error={errors.fields.again} />
        <button type="submit" disabled={!token}>Set password</button>
      </form>
    </section>
  );
}
