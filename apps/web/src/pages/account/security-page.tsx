import { useEffect, useState, type FormEvent } from 'react';
import { ApiError, send, type Person } from '../../api/api-client.js';
import { formErrors } from '../../api/field-errors.js';
import { Field, GeneralErrors, noErrors } from '../../components/form.js';
import './account.css';

/** What POST /auth/totp offers: the secret, and the otpauth:// URI an authenticator app reads from a QR code. */
interface TotpOffer { secret: string; uri: string }

const errorsOf = (error: unknown) => formErrors(error instanceof ApiError ? error.errors : [{ message: String(error) }], ['code']);

/** The signed-in person's sign-in: TOTP (an authenticator app's 6-digit code) turned on with a confirmed code, and off with one. */
export function SecurityPage({ person, onChanged }: { person: Person; onChanged: (person: Person) => void }) {
  const [offer, setOffer] = useState<TotpOffer | null>(null);
  const [code, setCode] = useState('');
  const [errors, setErrors] = useState(noErrors);
  const [busy, setBusy] = useState(false);
  const [done, setDone] = useState<string | null>(null);

  const begin = async () => {
    setBusy(true);
    setDone(null);
    try {
      setOffer(await send<TotpOffer>('/auth/totp', { method: 'POST', body: '{}' }));
      setErrors(noErrors);
    } catch (error) {
      setErrors(errorsOf(error));
    } finally {
      setBusy(false);
    }
  };

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    const turningOn = !person.totpEnabled;
    try {
      const { user } = await send<{ user: Person }>(turningOn ? '/auth/totp/confirm' : '/auth/totp/disable', { method: 'POST', body: JSON.stringify({ code: code.trim() }) });
      onChanged(user);
      setOffer(null);
      setCode('');
      setErrors(noErrors);
      setDone(turningOn ? 'Two-step sign-in is on: from now on, sign-in asks for a code from your app.' : 'Two-step sign-in is off: your password alone signs you in.');
    } catch (error) {
      setErrors(errorsOf(error));
    } finally {
      setBusy(false);
    }
  };

  const codeField = (label: string) => (
    <Field label={label} name="code" value={code} onChange={(e) => setCode(e.target.value)} error={errors.fields.code}
      inputMode="numeric" autoComplete="one-time-code" pattern="[0-9]{6}" maxLength={6} hint="The 6 digits your app shows now" />
  );

  return (
    <section>
      <h1>Security</h1>
      <p>Signed in as {person.name} ({person.email}), {person.role}.</p>
      {done ? <p className="banner" role="status">{done}</p> : null}
      <div className="page-form">
        <h2>Two-step sign-in (TOTP)</h2>
        <GeneralErrors errors={errors} />
        {person.totpEnabled ? (
          <form onSubmit={submit} noValidate>
            <p>On: sign-in asks for a code from your authenticator app after your password.</p>
            {codeField('Code to turn it off')}
            <button type="submit" className="danger" disabled={busy}>Turn off two-step sign-in</button>
          </form>
        ) : offer ? (
          <form onSubmit={submit} noValidate>
            <p>Add this to your authenticator app: scan the code, or type the secret in.</p>
            <QrCode text={offer.uri} label="QR code of the otpauth URI for your authenticator app" />
            <p>Secret: <code className="shown-once" aria-label="TOTP secret">{offer.secret}</code></p>
            <p>URI: <code className="shown-once" aria-label="otpauth URI">{offer.uri}</code></p>
            {codeField('Code from your app')}
            <button type="submit" disabled={busy}>Turn on two-step sign-in</button>
          </form>
        ) : (
          <>
            <p>Off: your password alone signs you in. With it on, sign-in also asks for the code an authenticator app shows (RFC 6238).</p>
            <button type="button" disabled={busy} onClick={() => void begin()}>Set up two-step sign-in</button>
          </>
        )}
      </div>
    </section>
  );
}

/** A QR code drawn in the page by uqr (loaded only here, nothing leaves the browser): one SVG path of the dark modules. */
function QrCode({ text, label }: { text: string; label: string }) {
  const [path, setPath] = useState<{ d: string; size: number } | null>(null);
  useEffect(() => {
    let alive = true;
    void import('uqr').then(({ encode }) => {
      const { data, size } = encode(text, { ecc: 'M', border: 2 });
      let d = '';
      data.forEach((row, y) => row.forEach((dark, x) => {
        if (dark) d += `M${x} ${y}h1v1h-1z`;
      }));
      if (alive) setPath({ d, size });
    });
    return () => {
      alive = false;
    };
  }, [text]);
  if (!path) return <p role="status">Drawing the QR code…</p>;
  return (
    <svg className="qr" role="img" aria-label={label} viewBox={`0 0 ${path.size} ${path.size}`} shapeRendering="crispEdges">
      <path d={path.d} fill="#000" />
    </svg>
  );
}
