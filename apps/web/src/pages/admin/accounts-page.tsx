import { useCallback, useEffect, useState, type FormEvent } from 'react';
import { ApiError, request, send } from '../../api/api-client.js';
import { formErrors } from '../../api/field-errors.js';
import { Empty, Field, FieldError, GeneralErrors, noErrors } from '../../components/form.js';
import { graphql } from '../../gql/index.js';
import type { AccountKind, AdminAccountsQuery } from '../../gql/graphql.js';
import { rolesOf, type RoleName } from './admin-figures.js';

const AdminAccounts = graphql(`
  query AdminAccounts($after: String) {
    accounts(first: 100, after: $after) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges { node { id name kind status currency email parent { id name } } }
    }
  }
`);

const AdminCreateAccount = graphql(`
  mutation AdminCreateAccount($input: CreateAccountInput!) {
    createAccount(input: $input) {
      account { id name kind status currency email parent { id name } }
      apiKey { secret apiKey { role } }
    }
  }
`);

type Account = AdminAccountsQuery['accounts']['edges'][number]['node'];
const ACCOUNT_FIELDS = ['name', 'kind', 'email', 'currency', 'taxRate', 'parentId'];
const INVITE_FIELDS = ['accountId', 'email', 'name', 'role'];

/** The accounts, a new reseller or customer, and a person invited into one. */
export function AccountsPage() {
  const [accounts, setAccounts] = useState<Account[] | null>(null);
  const [total, setTotal] = useState(0);
  const [next, setNext] = useState<string | null>(null);
  const [problem, setProblem] = useState<string | null>(null);

  const load = useCallback((after: string | null) => request(AdminAccounts, { after }).then(({ accounts: page }) => {
    setAccounts((current) => [...(after ? current ?? [] : []), ...page.edges.map((e) => e.node)]);
    setTotal(page.totalCount);
    setNext(page.pageInfo.hasNextPage ? page.pageInfo.endCursor ?? null : null);
  }, (error: ApiError) => setProblem(error.message)), []);

  useEffect(() => {
    void load(null);
  }, [load]);

  const created = (account: Account) => {
    setAccounts((current) => [...(current ?? []), account]);
    setTotal((n) => n + 1);
  };

  return (
    <section>
      <h1>Accounts</h1>
      {problem ? <p className="banner error" role="alert">{problem}</p> : null}
      {accounts === null ? (problem ? null : <p role="status">Loading the accounts…</p>) : accounts.length === 0 ? (
        <Empty title="No accounts yet">
          <p>Create a reseller or a customer below, then invite its first person.</p>
        </Empty>
      ) : (
        <>
          <ul className="admin-rows" aria-label="Accounts">
            {accounts.map((account) => (
              <li key={account.id} className="admin-row" aria-label={account.name}>
                <span className="name">{account.name}</span>
                <span className={`status status-${account.status === 'ACTIVE' ? 'running' : 'error'}`}>{account.status}</span>
                <span className="muted">
                  {account.kind.toLowerCase()} · {account.currency}{account.parent ? ` · of ${account.parent.name}` : ''}{account.email ? ` · ${account.email}` : ''}
                </span>
              </li>
            ))}
          </ul>
          {next ? <p><button type="button" className="secondary" onClick={() => load(next)}>Show more ({accounts.length} of {total})</button></p> : null}
        </>
      )}
      <div className="admin-forms">
        <CreateAccountForm resellers={accounts?.filter((a) => a.kind === 'RESELLER') ?? []} onCreated={created} />
        {accounts && accounts.length > 0 ? <InviteForm accounts={accounts} /> : null}
      </div>
    </section>
  );
}

function CreateAccountForm({ resellers, onCreated }: { resellers: Account[]; onCreated: (account: Account) => void }) {
  const empty = { name: '', kind: 'CUSTOMER' as AccountKind, email: '', currency: '', parentId: '' };
  const [form, setForm] = useState(empty);
  const [errors, setErrors] = useState(noErrors);
  const [busy, setBusy] = useState(false);
  const [made, setMade] = useState<{ name: string; secret: string; role: string } | null>(null);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setMade(null);
    try {
      const { createAccount } = await request(AdminCreateAccount, {
        input: {
          name: form.name, kind: form.kind, email: form.email || null, currency: form.currency || null,
          parentId: form.kind === 'CUSTOMER' && form.parentId ? form.parentId : null,
        },
      });
      onCreated(createAccount.account);
      setMade({ name: createAccount.account.name, secret: createAccount.apiKey.secret, role: createAccount.apiKey.apiKey.role });
      setErrors(noErrors);
      setForm(empty);
    } catch (error) {
      setErrors(formErrors(error instanceof ApiError ? error.errors : [{ message: String(error) }], ACCOUNT_FIELDS));
    } finally {
      setBusy(false);
    }
  };

  const set = (field: keyof typeof form) => (event: { target: { value: string } }) => setForm((current) => ({ ...current, [field]: event.target.value }));
  return (
    <form onSubmit={submit} noValidate aria-labelledby="new-account">
      <h2 id="new-account">New account</h2>
      <GeneralErrors errors={errors} />
      {made ? (
        <div className="banner" role="status">
          <p>{made.name} created, with its first {made.role} API key. Copy it now: it is not shown again.</p>
          <code className="secret">{made.secret}</code>
        </div>
      ) : null}
      <fieldset>
        <legend>Kind</legend>
        {(['CUSTOMER', 'RESELLER'] as const).map((kind) => (
          <label key={kind} className="choice">
            <input type="radio" name="account-kind" value={kind} checked={form.kind === kind} onChange={set('kind')} />
            {kind === 'CUSTOMER' ? 'Customer' : 'Reseller'}
          </label>
        ))}
        <FieldError error={errors.fields.kind} />
      </fieldset>
      <Field label="Account name" name="name" value={form.name} onChange={set('name')} error={errors.fields.name} />
      <Field label="Billing email" name="email" type="email" value={form.email} onChange={set('email')} error={errors.fields.email} hint="Optional: where its invoices go" />
      <Field label="Account currency" name="currency" value={form.currency} onChange={set('currency')} error={errors.fields.currency} hint="Optional: ISO 4217, e.g. EUR; the platform's by default" autoCapitalize="characters" />
      {form.kind === 'CUSTOMER' ? (
        <div className="field">
          <label htmlFor="account-parent">Reseller</label>
          <select id="account-parent" value={form.parentId} onChange={set('parentId')} aria-invalid={errors.fields.parentId ? true : undefined}>
            <option value="">None: the platform bills it</option>
            {resellers.map((r) => <option key={r.id} value={r.id}>{r.name}</option>)}
          </select>
          <FieldError error={errors.fields.parentId} />
        </div>
      ) : null}
      <button type="submit" disabled={busy}>{busy ? 'Creating…' : 'Create account'}</button>
    </form>
  );
}

/** POST /auth/invitations (the contract has no operation for people): the person gets a one-time link to set a password. */
function InviteForm({ accounts }: { accounts: Account[] }) {
  const [form, setForm] = useState({ accountId: accounts[0].id, email: '', name: '', role: '' as RoleName | '' });
  const [errors, setErrors] = useState(noErrors);
  const [busy, setBusy] = useState(false);
  const [invited, setInvited] = useState<string | null>(null);
  const account = accounts.find((a) => a.id === form.accountId) ?? accounts[0];
  const roles = rolesOf(account.kind);
  const role = form.role && roles.includes(form.role) ? form.role : roles[0];

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setInvited(null);
    try {
      const { mailSent } = await send<{ mailSent: boolean }>('/auth/invitations', { method: 'POST', body: JSON.stringify({ ...form, accountId: account.id, role }) });
      setInvited(mailSent
        ? `${form.email} is invited to ${account.name} as ${role}: the mail holds a link to set a password.`
        : `${form.email} is invited to ${account.name} as ${role}, but the mail server did not take the mail yet: it is tried again, with a new link, until it goes.`);
      setErrors(noErrors);
      setForm((current) => ({ ...current, email: '', name: '' }));
    } catch (error) {
      setErrors(formErrors(error instanceof ApiError ? error.errors : [{ message: String(error) }], INVITE_FIELDS));
    } finally {
      setBusy(false);
    }
  };

  const set = (field: keyof typeof form) => (event: { target: { value: string } }) => setForm((current) => ({ ...current, [field]: event.target.value }));
  return (
    <form onSubmit={submit} noValidate aria-labelledby="invite-person">
      <h2 id="invite-person">Invite a person</h2>
      <GeneralErrors errors={errors} />
      {invited ? <p className="banner" role="status">{invited}</p> : null}
      <div className="field">
        <label htmlFor="invite-account">Into account</label>
        <select id="invite-account" value={account.id} onChange={set('accountId')} aria-invalid={errors.fields.accountId ? true : undefined}>
          {accounts.map((a) => <option key={a.id} value={a.id}>{a.name} ({a.kind.toLowerCase()})</option>)}
        </select>
        <FieldError error={errors.fields.accountId} />
      </div>
      <Field label="Their email" name="invite-email" type="email" value={form.email} onChange={set('email')} error={errors.fields.email} autoCapitalize="none" spellCheck={false} />
      <Field label="Their name" name="invite-name" value={form.name} onChange={set('name')} error={errors.fields.name} />
      <div className="field">
        <label htmlFor="invite-role">Role</label>
        <select id="invite-role" value={role} onChange={set('role')} aria-invalid={errors.fields.role ? true : undefined}>
          {roles.map((r) => <option key={r} value={r}>{r}</option>)}
        </select>
        <FieldError error={errors.fields.role} />
      </div>
      <button type="submit" disabled={busy}>{busy ? 'Inviting…' : 'Send invitation'}</button>
    </form>
  );
}
