import { useState, type FormEvent } from 'react';
import { ApiError, request } from '../../api/api-client.js';
import { formErrors } from '../../api/field-errors.js';
import { Field, GeneralErrors, noErrors } from '../../components/form.js';
import { graphql } from '../../gql/index.js';
import { ProgressStatus } from './progress-status.js';
import { useInstancePart } from './use-instance-part.js';

const TabSnapshots = graphql(`
  query TabSnapshots($id: ID!) {
    instance(id: $id) { id snapshots { id name status sizeMb createdAt } }
  }
`);
const TabCreateSnapshot = graphql(`mutation TabCreateSnapshot($instanceId: ID!, $name: String!) { createSnapshot(instanceId: $instanceId, name: $name) { id status } }`);
const TabRestoreSnapshot = graphql(`mutation TabRestoreSnapshot($id: ID!) { restoreSnapshot(id: $id) { id status } }`);
const TabDeleteSnapshot = graphql(`mutation TabDeleteSnapshot($id: ID!) { deleteSnapshot(id: $id) { id status } }`);

const UNDER_WAY = ['CREATING', 'DELETING'];

/**
 * The instance's snapshots: taken (while it runs or is stopped), restored (only while STOPPED: its
 * disk becomes the snapshot's), deleted. How many an instance may hold is the platform's setting,
 * which the API does not tell: a refusal says the number.
 */
export function SnapshotsTab({ instance }: { instance: { id: string; status: string } }) {
  const { part: snapshots, problem, load, acting: busy, setActing: setBusy, run } = useInstancePart(
    async () => (await request(TabSnapshots, { id: instance.id })).instance?.snapshots.filter((s) => s.status !== 'DELETED') ?? [],
    instance,
    (list) => list.some((s) => UNDER_WAY.includes(s.status)) || instance.status === 'RESTORING',
  );
  const [name, setName] = useState('');
  const [errors, setErrors] = useState(noErrors);
  const [confirm, setConfirm] = useState<{ id: string; action: 'restore' | 'delete' } | null>(null);

  const take = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setErrors(noErrors);
    try {
      await request(TabCreateSnapshot, { instanceId: instance.id, name });
      setName('');
      await load();
    } catch (error) {
      setErrors(formErrors(error instanceof ApiError ? error.errors : [{ message: String(error) }], ['name']));
    } finally {
      setBusy(false);
    }
  };

  const act = (id: string, action: 'restore' | 'delete') => {
    setConfirm(null);
    return run(() => (action === 'restore' ? request(TabRestoreSnapshot, { id }) : request(TabDeleteSnapshot, { id })));
  };

  const stopped = instance.status === 'STOPPED';
  return (
    <section aria-label="Snapshots">
      <p className="hint">
        A snapshot is a copy of the disk as it is now, kept on the instance's own host and deleted with the instance.
        Restoring one needs the instance STOPPED{stopped ? '' : ` (it is ${instance.status} now: stop it first)`}.
        An instance holds a limited number of snapshots: when it has them all, delete one before taking another.
      </p>
      {problem ? <p className="banner error" role="alert">{problem}</p> : null}
      {snapshots === undefined ? <p role="status">Loading its snapshots…</p> : snapshots.length === 0 ? (
        <p className="empty-note">No snapshots yet: name one below and take it.</p>
      ) : (
        <ul className="tab-rows">
          {snapshots.map((snapshot) => (
            <li key={snapshot.id} className="tab-row snapshot-row">
              <span className="name">{snapshot.name}</span>
              <ProgressStatus status={snapshot.status} settled={['AVAILABLE', 'DELETED', 'ERROR']} />
              <span className="muted">
                {snapshot.sizeMb === null || snapshot.sizeMb === undefined ? '' : `${snapshot.sizeMb} MB · `}
                taken <time dateTime={snapshot.createdAt}>{new Date(snapshot.createdAt).toLocaleString()}</time>
              </span>
              {snapshot.status === 'AVAILABLE' || snapshot.status === 'ERROR' ? (
                <div className="actions">
                  {confirm?.id === snapshot.id ? (
                    <>
                      <button type="button" className="danger" disabled={busy} onClick={() => act(snapshot.id, confirm.action)}>
                        {confirm.action === 'restore' ? `Replace the disk with ${snapshot.name}` : `Delete ${snapshot.name} for good`}
                      </button>
                      <button type="button" className="secondary" onClick={() => setConfirm(null)}>Keep it</button>
                    </>
                  ) : (
                    <>
                      {snapshot.status === 'AVAILABLE' ? (
                        <button type="button" className="secondary" disabled={busy || !stopped} onClick={() => setConfirm({ id: snapshot.id, action: 'restore' })}
                          aria-describedby={stopped ? undefined : `restore-needs-stop-${snapshot.id}`}>
                          Restore {snapshot.name}…
                        </button>
                      ) : null}
                      <button type="button" className="danger secondary" disabled={busy} onClick={() => setConfirm({ id: snapshot.id, action: 'delete' })}>Delete {snapshot.name}…</button>
                      {stopped || snapshot.status !== 'AVAILABLE' ? null : <span id={`restore-needs-stop-${snapshot.id}`} className="hint">Stop the instance to restore it.</span>}
                    </>
                  )}
                </div>
              ) : null}
            </li>
          ))}
        </ul>
      )}
      <form onSubmit={take} noValidate className="tab-form">
        <GeneralErrors errors={errors} />
        <Field label="Snapshot name" name="snapshot-name" value={name} onChange={(e) => setName(e.target.value)} error={errors.fields.name}
          hint="Lowercase letters, digits and hyphens, e.g. before-upgrade." autoCapitalize="none" spellCheck={false} />
        <button type="submit" disabled={busy}>{busy ? 'Working…' : 'Take snapshot'}</button>
      </form>
    </section>
  );
}
