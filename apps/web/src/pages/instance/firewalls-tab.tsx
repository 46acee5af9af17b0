import { useState, type FormEvent } from 'react';
import { ApiError, request } from '../../api/api-client.js';
import { formErrors } from '../../api/field-errors.js';
import { Field, FieldError, GeneralErrors, noErrors } from '../../components/form.js';
import { graphql } from '../../gql/index.js';
import { newRuleRow, rowOfRule, ruleFields, ruleInWords, ruleOfRow, type RuleRow } from './firewall-rule-rows.js';
import { useInstancePart } from './use-instance-part.js';

const TabFirewalls = graphql(`
  query TabFirewalls($id: ID!) {
    instance(id: $id) { id firewalls { id } }
    firewalls(first: 100) { edges { node { id name rules { direction protocol ports addresses description } instances { id } } } }
  }
`);
const TabAttachFirewall = graphql(`mutation TabAttachFirewall($id: ID!, $instanceId: ID!) { attachFirewall(id: $id, instanceId: $instanceId) { id } }`);
const TabDetachFirewall = graphql(`mutation TabDetachFirewall($id: ID!, $instanceId: ID!) { detachFirewall(id: $id, instanceId: $instanceId) { id } }`);
const TabCreateFirewall = graphql(`mutation TabCreateFirewall($input: CreateFirewallInput!) { createFirewall(input: $input) { id } }`);
const TabSetFirewallRules = graphql(`mutation TabSetFirewallRules($id: ID!, $rules: [FirewallRuleInput!]!) { setFirewallRules(id: $id, rules: $rules) { id } }`);

/** Which of the account's firewalls guard this instance: attached and detached here, and one made or its rules changed in the editor. */
export function FirewallsTab({ instance }: { instance: { id: string; name: string; status: string } }) {
  const { part, problem, load, acting: busy, run } = useInstancePart(() => request(TabFirewalls, { id: instance.id }), instance, () => false);
  // null: no editor open; '' a new firewall; else the id of the one whose rules are edited.
  const [editing, setEditing] = useState<string | null>(null);

  if (part === undefined) return problem ? <p className="banner error" role="alert">{problem}</p> : <p role="status">Loading its firewalls…</p>;
  const attached = new Set(part.instance?.firewalls.map((f) => f.id));
  const firewalls = part.firewalls.edges.map((e) => e.node);
  const gone = instance.status === 'DELETED' || instance.status === 'DELETING';
  return (
    <section aria-label="Firewalls">
      <p className="hint">
        With no firewall attached the instance accepts everything. With one or more, what comes in is dropped unless a rule allows it
        (replies to its own connections always pass); what goes out is allowed unless a firewall has outbound rules. Changes hold on its host within 5 s.
      </p>
      {problem ? <p className="banner error" role="alert">{problem}</p> : null}
      {firewalls.length === 0 ? <p className="empty-note">Your account has no firewalls yet: make one below; it is attached to {instance.name}.</p> : (
        <ul className="tab-rows">
          {firewalls.map((firewall) => (
            <li key={firewall.id} className="tab-row firewall-row">
              <span className="name">{firewall.name}</span>
              <span className={attached.has(firewall.id) ? 'status status-running' : 'muted'}>{attached.has(firewall.id) ? 'Attached' : 'Not attached'}</span>
              <ul className="rules">
                {firewall.rules.length === 0 ? <li>No rules: it lets nothing in.</li> : firewall.rules.map((rule, i) => <li key={i}>{ruleInWords(rule)}</li>)}
              </ul>
              <div className="actions">
                {attached.has(firewall.id)
                  ? <button type="button" className="secondary" disabled={busy} onClick={() => run(() => request(TabDetachFirewall, { id: firewall.id, instanceId: instance.id }))}>Detach {firewall.name}</button>
                  : <button type="button" disabled={busy || gone} onClick={() => run(() => request(TabAttachFirewall, { id: firewall.id, instanceId: instance.id }))}>Attach {firewall.name}</button>}
                <button type="button" className="secondary" disabled={busy} onClick={() => setEditing(firewall.id)}>Edit rules of {firewall.name}</button>
              </div>
              {editing === firewall.id ? (
                <FirewallEditor initial={firewall.rules.map(rowOfRule)} onCancel={() => setEditing(null)}
                  onSave={async (_name, rules) => { await request(TabSetFirewallRules, { id: firewall.id, rules }); setEditing(null); await load(); }} />
              ) : null}
            </li>
          ))}
        </ul>
      )}
      {editing === '' ? (
        <FirewallEditor named initial={[newRuleRow()]} onCancel={() => setEditing(null)}
          onSave={async (name, rules) => { await request(TabCreateFirewall, { input: { name, rules, instanceIds: [instance.id] } }); setEditing(null); await load(); }} />
      ) : (
        <div className="actions"><button type="button" disabled={busy || gone} onClick={() => setEditing('')}>New firewall…</button></div>
      )}
    </section>
  );
}

/** A firewall's name (a new one's) and its rules, a row each; the API's refusals beside the field of the rule they name. */
function FirewallEditor({ named = false, initial, onSave, onCancel }: {
  named?: boolean;
  initial: RuleRow[];
  onSave: (name: string, rules: ReturnType<typeof ruleOfRow>[]) => Promise<void>;
  onCancel: () => void;
}) {
  const [name, setName] = useState('');
  const [rows, setRows] = useState(initial);
  const [errors, setErrors] = useState(noErrors);
  const [busy, setBusy] = useState(false);
  const change = (index: number, changes: Partial<RuleRow>) => setRows((current) => current.map((row, i) => (i === index ? { ...row, ...changes } : row)));

  const save = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setErrors(noErrors);
    try {
      await onSave(name, rows.map(ruleOfRow));
    } catch (error) {
      setErrors(formErrors(error instanceof ApiError ? error.errors : [{ message: String(error) }], ['name', 'rules', ...ruleFields(rows.length)]));
      setBusy(false);
    }
  };

  return (
    <form onSubmit={save} noValidate className="tab-form firewall-editor">
      <h2>{named ? 'New firewall, attached to this instance' : 'Rules'}</h2>
      <GeneralErrors errors={errors} />
      {named ? <Field label="Firewall name" name="firewall-name" value={name} onChange={(e) => setName(e.target.value)} error={errors.fields.name} autoCapitalize="none" spellCheck={false} /> : null}
      <FieldError error={errors.fields.rules} />
      {rows.map((row, i) => (
        <fieldset key={i} className="rule">
          <legend>Rule {i + 1}</legend>
          <div className="field">
            <label htmlFor={`rule-${i}-direction`}>Direction</label>
            <select id={`rule-${i}-direction`} value={row.direction} onChange={(e) => change(i, { direction: e.target.value as RuleRow['direction'] })}>
              <option value="INGRESS">In (to the instance)</option>
              <option value="EGRESS">Out (from the instance)</option>
            </select>
            <FieldError error={errors.fields[`rules[${i}].direction`]} />
          </div>
          <div className="field">
            <label htmlFor={`rule-${i}-protocol`}>Protocol</label>
            <select id={`rule-${i}-protocol`} value={row.protocol} onChange={(e) => change(i, { protocol: e.target.value as RuleRow['protocol'] })}>
              <option value="TCP">TCP</option>
              <option value="UDP">UDP</option>
              <option value="ICMP">ICMP (ping)</option>
            </select>
            <FieldError error={errors.fields[`rules[${i}].protocol`]} />
          </div>
          {row.protocol === 'ICMP' ? null : (
            <Field label={`Ports of rule ${i + 1}`} value={row.ports} onChange={(e) => change(i, { ports: e.target.value })} error={errors.fields[`rules[${i}].ports`]}
              hint="One port (22) or a range (8000-8100); blank for every port." inputMode="numeric" />
          )}
          <Field label={`Addresses of rule ${i + 1}`} value={row.addresses} onChange={(e) => change(i, { addresses: e.target.value })} error={errors.fields[`rules[${i}].addresses`]}
            hint="CIDRs of the other side, commas between; 0.0.0.0/0, ::/0 for anyone." autoCapitalize="none" spellCheck={false} />
          <Field label={`Description of rule ${i + 1}`} value={row.description} onChange={(e) => change(i, { description: e.target.value })} error={errors.fields[`rules[${i}].description`]} />
          <button type="button" className="danger secondary" onClick={() => setRows((current) => current.filter((_, j) => j !== i))}>Remove rule {i + 1}</button>
        </fieldset>
      ))}
      <div className="actions">
        <button type="button" className="secondary" onClick={() => setRows((current) => [...current, newRuleRow()])}>Add a rule</button>
        <button type="submit" disabled={busy}>{busy ? 'Saving…' : named ? 'Create firewall' : 'Save rules'}</button>
        <button type="button" className="secondary" onClick={onCancel}>Cancel</button>
      </div>
    </form>
  );
}
