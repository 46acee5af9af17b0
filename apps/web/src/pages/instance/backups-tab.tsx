import { useState, type FormEvent } from 'react';
import { ApiError, request } from '../../api/api-client.js';
import { formErrors } from '../../api/field-errors.js';
import { Field, GeneralErrors, noErrors } from '../../components/form.js';
import { graphql } from '../../gql/index.js';
import { navigate } from '../../router.js';
import { ProgressStatus } from './progress-status.js';
import { useInstancePart } from './use-instance-part.js';

const TabBackups = graphql(`
  query TabBackups($id: ID!) {
    instance(id: $id) {
      id
      backupSchedule { hourUtc keep }
      backups(first: 100) { totalCount edges { node { id status sizeMb scheduled createdAt } } }
    }
  }
`);
const TabCreateBackup = graphql(`mutation TabCreateBackup($instanceId: ID!) { createBackup(instanceId: $instanceId) { id status } }`);
const TabDeleteBackup = graphql(`mutation TabDeleteBackup($id: ID!) { deleteBackup(id: $id) { id status } }`);
const TabRestoreBackup = graphql(`mutation TabRestoreBackup($id: ID!, $input: RestoreBackupInput) { restoreBackup(id: $id, input: $input) { id } }`);
const TabSetBackupSchedule = graphql(`
  mutation TabSetBackupSchedule($instanceId: ID!, $schedule: BackupScheduleInput) { setBackupSchedule(instanceId: $instanceId, schedule: $schedule) { id backupSchedule { hourUtc keep } } }
`);

const UNDER_WAY = ['CREATING', 'DELETING'];
const SCHEDULE_FIELDS = ['schedule.hourUtc', 'schedule.keep', 'hourUtc', 'keep'];

/**
 * The instance's backups, kept off its host in the region's store: taken now or daily on a schedule,
 * restored into a new instance (the page goes to it), deleted. They outlive the instance.
 */
export function BackupsTab({ instance }: { instance: { id: string; name: string; status: string } }) {
  const { part, problem, load, acting: busy, setActing: setBusy, run } = useInstancePart(
    async () => (await request(TabBackups, { id: instance.id })).instance,
    instance,
    (loaded) => loaded?.backups.edges.some((e) => UNDER_WAY.includes(e.node.status)) ?? false,
  );
  const [confirmDelete, setConfirmDelete] = useState<string | null>(null);
  const [restoring, setRestoring] = useState<string | null>(null);
  const [restoreName, setRestoreName] = useState('');
  const [restoreErrors, setRestoreErrors] = useState(noErrors);
  const [hourUtc, setHourUtc] = useState('');
  const [keep, setKeep] = useState('');
  const [scheduleErrors, setScheduleErrors] = useState(noErrors);

  const restore = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    try {
      const { restoreBackup } = await request(TabRestoreBackup, { id: restoring!, input: { name: restoreName } });
      navigate(`/instances/${restoreBackup.id}`);
    } catch (error) {
      setRestoreErrors(formErrors(error instanceof ApiError ? error.errors : [{ message: String(error) }], ['name']));
      setBusy(false);
    }
  };

  const schedule = async (event: FormEvent, clear = false) => {
    event.preventDefault();
    const given = { hourUtc: wholeNumber(hourUtc, part?.backupSchedule?.hourUtc ?? 3), keep: wholeNumber(keep, part?.backupSchedule?.keep ?? 7) };
    if (!clear && (given.hourUtc === null || given.keep === null)) {
      const fields: Record<string, string> = {};
      if (given.hourUtc === null) fields.hourUtc = 'must be a whole number';
      if (given.keep === null) fields.keep = 'must be a whole number';
      setScheduleErrors({ fields, general: [] });
      return;
    }
    setBusy(true);
    setScheduleErrors(noErrors);
    try {
      await request(TabSetBackupSchedule, { instanceId: instance.id, schedule: clear ? null : { hourUtc: given.hourUtc!, keep: given.keep! } });
      setHourUtc('');
      setKeep('');
      await load();
    } catch (error) {
      const shown = formErrors(error instanceof ApiError ? error.errors : [{ message: String(error) }], SCHEDULE_FIELDS);
      // `schedule.keep` and `keep` are the same field of this form.
      setScheduleErrors({ general: shown.general, fields: Object.fromEntries(Object.entries(shown.fields).map(([k, v]) => [k.replace(/^schedule\./, ''), v])) });
    } finally {
      setBusy(false);
    }
  };

  if (part === undefined) return problem ? <p className="banner error" role="alert">{problem}</p> : <p role="status">Loading its backups…</p>;
  const backups = part?.backups.edges.map((e) => e.node).filter((b) => b.status !== 'DELETED') ?? [];
  const current = part?.backupSchedule;
  return (
    <section aria-label="Backups">
      <p className="hint">A backup is a compressed copy of the instance (disk and plan) kept off its host; it outlives the instance. Restore one into a new instance beside this one.</p>
      {problem ? <p className="banner error" role="alert">{problem}</p> : null}
      <div className="actions">
        <button type="button" disabled={busy || instance.status === 'DELETED'} onClick={() => run(() => request(TabCreateBackup, { instanceId: instance.id }))}>Back up now</button>
      </div>
      {backups.length === 0 ? <p className="empty-note">No backups yet: back it up now, or set a daily schedule below.</p> : (
        <ul className="tab-rows">
          {backups.map((backup) => (
            <li key={backup.id} className="tab-row backup-row">
              <span className="name"><time dateTime={backup.createdAt}>{new Date(backup.createdAt).toLocaleString()}</time></span>
              <ProgressStatus status={backup.status} settled={['AVAILABLE', 'DELETED', 'ERROR']} />
              <span className="muted">{backup.scheduled ? 'Scheduled' : 'Taken by hand'}{backup.sizeMb ? ` · ${backup.sizeMb} MB` : ''}</span>
              {backup.status === 'AVAILABLE' || backup.status === 'ERROR' ? (
                <div className="actions">
                  {backup.status === 'AVAILABLE' ? <button type="button" className="secondary" disabled={busy} onClick={() => { setRestoring(backup.id); setRestoreName(''); setRestoreErrors(noErrors); }}>Restore into a new instance…</button> : null}
                  {confirmDelete === backup.id ? (
                    <>
                      <button type="button" className="danger" disabled={busy} onClick={() => { setConfirmDelete(null); void run(() => request(TabDeleteBackup, { id: backup.id })); }}>Delete this backup for good</button>
                      <button type="button" className="secondary" onClick={() => setConfirmDelete(null)}>Keep it</button>
                    </>
                  ) : <button type="button" className="danger secondary" disabled={busy} onClick={() => setConfirmDelete(backup.id)}>Delete…</button>}
                </div>
              ) : null}
              {restoring === backup.id ? (
                <form onSubmit={restore} noValidate className="tab-form">
                  <GeneralErrors errors={restoreErrors} />
                  <Field label="New instance's name" name="restore-name" value={restoreName} onChange={(e) => setRestoreName(e.target.value)} error={restoreErrors.fields.name}
                    hint={`Made on ${instance.name}'s plan, in its region.`} autoCapitalize="none" spellCheck={false} />
                  <div className="actions">
                    <button type="submit" disabled={busy}>Restore</button>
                    <button type="button" className="secondary" onClick={() => setRestoring(null)}>Cancel</button>
                  </div>
                </form>
              ) : null}
            </li>
          ))}
        </ul>
      )}
      <form onSubmit={(e) => schedule(e)} noValidate className="tab-form">
        <h2>Daily backups</h2>
        <p>{current ? `Every day at ${String(current.hourUtc).padStart(2, '0')}:00 UTC; the newest ${current.keep} scheduled backups are kept.` : 'None scheduled.'}</p>
        <GeneralErrors errors={scheduleErrors} />
        <Field label="Hour (UTC, 0 to 23)" name="hourUtc" inputMode="numeric" value={hourUtc} placeholder={String(current?.hourUtc ?? 3)} onChange={(e) => setHourUtc(e.target.value)} error={scheduleErrors.fields.hourUtc} />
        <Field label="Keep the newest" name="keep" inputMode="numeric" value={keep} placeholder={String(current?.keep ?? 7)} onChange={(e) => setKeep(e.target.value)} error={scheduleErrors.fields.keep} />
        <div className="actions">
          <button type="submit" disabled={busy}>{current ? 'Change the schedule' : 'Back up daily'}</button>
          {current ? <button type="button" className="danger secondary" disabled={busy} onClick={(e) => schedule(e, true)}>Stop scheduled backups</button> : null}
        </div>
      </form>
    </section>
  );
}

/** What was typed as a whole number (the API checks its range), the placeholder's when left blank, null when it is no whole number. */
function wholeNumber(typed: string, otherwise: number): number | null {
  if (typed.trim() === '') return otherwise;
  return /^-?\d+$/.test(typed.trim()) ? Number(typed.trim()) : null;
}
