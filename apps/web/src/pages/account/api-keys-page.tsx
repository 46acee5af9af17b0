import { useEffect, useState, type FormEvent } from 'react';
import { ApiError, request, send, type Person } from '../../api/api-client.js';
import { formErrors } from '../../api/field-errors.js';
import { ConfirmButton } from '../../components/confirm-button.js';
import { Empty, Field, FieldError, GeneralErrors, noErrors } from '../../components/form.js';
import { graphql } from '../../gql/index.js';
import type { Role } from '../../gql/graphql.js';
import { rolesOf } from '../admin/admin-figures.js';
import './account.css';

const CreateApiKey = graphql(`
  mutation CreateApiKey($input: CreateApiKeyInput!) { createApiKey(input: $input) { secret apiKey { id name role createdAt lastUsedAt } } }
`);
const RevokeApiKey = graphql(`
  mutation RevokeApiKey($id: ID!) { revokeApiKey(id: $id) { id } }
`);

/** A key as GET /auth/api-keys lists it (the contract makes and revokes keys, and lists none). */
interface ApiKey { id: string; name: string; role: Role; accountId?: string; createdAt: string; lastUsedAt: string | null }

const when = (iso: string) => new Date(iso).toLocaleString('en', { dateStyle: 'medium', timeStyle: 'short' });

/** The account's API keys: made with a name and a role (the secret shown once, to copy), revoked after a question. */
export function ApiKeysPage({ person }: { person: Person }) {
  const [keys, setKeys] = useState<ApiKey[] | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [busy, setBusy] = useState<string | null>(null);

  useEffect(() => {
    send<{ apiKeys: ApiKey[] }>('/auth/api-keys', { method: 'GET' }).then(
      // A reseller's list holds its customers' keys too: this page is the person's own account's.
      ({ apiKeys }) => setKeys(apiKeys.filter((k) => k.accountId === person.accountId)),
      (error: ApiError) => setProblem(error.message),
    );
  }, [person.accountId]);

  const revoke = async (key: ApiKey) => {
    setBusy(key.id);
    try {
      await request(RevokeApiKey, { id: key.id });
      setKeys((current) => (current ?? []).filter((k) => k.id !== key.id));
      setProblem(null);
    } catch (error) {
      setProblem(error instanceof ApiError ? error.message : String(error));
    } finally {
      setBusy(null);
    }
  };

  return (
    <section>
      <h1>API keys</h1>
      <p className="hint">A key acts for your account in its role, from scripts, the awan CLI or Terraform: send it as <code>Authorization: Bearer …</code>.</p>
      {problem ? <p className="banner error" role="alert">{problem}</p> : null}
      {keys === null ? (problem ? null : <p role="status">Loading your keys…</p>) : keys.length === 0 ? (
        <Empty title="No API keys">
          <p>Create one below when a program needs to reach the API for you; revoke it when it no longer does.</p>
        </Empty>
      ) : (
        <ul className="item-rows" aria-label="API keys">
          {keys.map((key) => (
            <li key={key.id} className="item-row" aria-label={key.name}>
              <div>
                <p className="name">{key.name}</p>
                <p className="muted">{key.role} · made {when(key.createdAt)} · {key.lastUsedAt ? `last used ${when(key.lastUsedAt)}` : 'never used'}</p>
              </div>
              <div className="actions">
                <ConfirmButton action="Revoke" of={key.name} busy={busy === key.id} confirm="Revoke it" onConfirm={() => void revoke(key)}
                  question={<>Revoke {key.name}? Whatever uses it is refused from now on; this cannot be undone.</>} />
              </div>
            </li>
          ))}
        </ul>
      )}
      <CreateKeyForm person={person} onCreated={(key) => setKeys((current) => [...(current ?? []), key])} />
    </section>
  );
}

function CreateKeyForm({ person, onCreated }: { person: Person; onCreated: (key: ApiKey) => void }) {
  const roles = rolesOf(person.role === 'CUSTOMER' ? 'CUSTOMER' : person.role === 'RESELLER' ? 'RESELLER' : 'PLATFORM');
  const [name, setName] = useState('');
  const [role, setRole] = useState<Role>(roles[0]);
  const [errors, setErrors] = useState(noErrors);
  const [busy, setBusy] = useState(false);
  const [made, setMade] = useState<{ name: string; secret: string } | null>(null);
  const [copied, setCopied] = useState<string | null>(null);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setMade(null);
    setCopied(null);
    try {
      const { createApiKey } = await request(CreateApiKey, { input: { accountId: person.accountId, name: name.trim(), role } });
      onCreated(createApiKey.apiKey);
      setMade({ name: createApiKey.apiKey.name, secret: createApiKey.secret });
      setErrors(noErrors);
      setName('');
    } catch (error) {
      setErrors(formErrors(error instanceof ApiError ? error.errors : [{ message: String(error) }], ['name', 'role']));
    } finally {
      setBusy(false);
    }
  };

  const copy = async (secret: string) => {
    try {
      await navigator.clipboard.writeText(secret);
      setCopied('Copied.');
    } catch {
      setCopied('The browser did not let this page copy: select the key and copy it yourself.');
    }
  };

  return (
    <form className="page-form" onSubmit={submit} noValidate aria-labelledby="new-key">
      <h2 id="new-key">New API key</h2>
      <GeneralErrors errors={errors} />
      {made ? (
        <div className="banner" role="status">
          <p>{made.name} is made. Copy its secret now: Awan keeps only a hash of it and shows it never again.</p>
          <code className="shown-once" aria-label={`Secret of ${made.name}`}>{made.secret}</code>
          <button type="button" className="secondary" onClick={() => void copy(made.secret)}>Copy the secret</button>
          {copied ? <p>{copied}</p> : null}
        </div>
      ) : null}
      <Field label="Key name" name="name" value={name} onChange={(e) => setName(e.target.value)} error={errors.fields.name} hint="What uses it, e.g. terraform" />
      <div className="field">
        <label htmlFor="key-role">Role</label>
        <select id="key-role" value={role} onChange={(e) => setRole(e.target.value as Role)} aria-invalid={errors.fields.role ? true : undefined}>
          {roles.map((r) => <option key={r} value={r}>{r === 'FINANCE' ? 'FINANCE: reads invoices' : r}</option>)}
        </select>
        <FieldError error={errors.fields.role} />
      </div>
      <button type="submit" disabled={busy}>{busy ? 'Creating…' : 'Create key'}</button>
    </form>
  );
}
