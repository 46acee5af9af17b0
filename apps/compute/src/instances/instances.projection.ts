import { isUuid } from '#libs/contracts';
import type { Projection, RecordedEvent, Sql } from '#libs/event-store';
import { INSTANCE_BACKUP_EVENT_TYPES } from '../backups/instance-backups.js';
import { CONSOLE_EVENT_TYPES } from '../consoles/instance-consoles.js';
import { INSTANCE_FIREWALL_EVENT_TYPES } from '../firewalls/instance-firewalls.js';
import { SNAPSHOT_EVENT_TYPES } from '../snapshots/instance-snapshots.js';
import { instanceDecider, instanceIdOf, type InstanceEvent, type InstanceState } from './instance.decider.js';

export const INSTANCE_EVENT_TYPES: readonly InstanceEvent['type'][] = [
  'InstanceRequested', 'InstanceScheduled', 'InstanceAddressed', 'InstanceStarted', 'InstanceStopped', 'InstanceResized', 'InstanceFailed',
  'InstanceDeleted', 'InstanceStartRequested', 'InstanceStopRequested', 'InstanceRebootRequested', 'InstanceResizeRequested',
  'InstanceDeletionRequested', 'InstanceMigrationRequested', 'InstanceMigrated', 'InstanceMigrationAborted',
  // A snapshot's or a backup's operation is the instance's, and a restore its status.
  ...SNAPSHOT_EVENT_TYPES,
  ...INSTANCE_BACKUP_EVENT_TYPES,
  // History-only events as well: the kept state counts every event of the stream, so its statusVersion
  // is the stream's (the watcher's timeouts and observed stops name it).
  ...CONSOLE_EVENT_TYPES,
  ...INSTANCE_FIREWALL_EVENT_TYPES,
];

/** What every event of an instance may change of its row, beside the columns its state gives. */
interface RowStatus {
  state: InstanceState;
  statusSince: string | Date | null;
  updatedAt: string | Date | null;
  failureReason: string | null;
}

/** A new instance's row: its stream's events up to now folded, as one create's append holds them. */
interface NewInstanceRow extends RowStatus {
  id: string;
  requested: Extract<InstanceEvent, { type: 'InstanceRequested' }>['data'];
  position: number;
  createdAt: string;
}

function newInstance(recorded: RecordedEvent): NewInstanceRow {
  const requested = recorded as unknown as Extract<InstanceEvent, { type: 'InstanceRequested' }> & RecordedEvent;
  return {
    id: instanceIdOf(requested.streamId), requested: requested.data, position: requested.globalPosition, createdAt: requested.occurredAt, statusSince: requested.occurredAt,
    updatedAt: requested.occurredAt, failureReason: null, state: instanceDecider.evolve(instanceDecider.initialState(), requested),
  };
}

/** The row after `event`: its status moved since then when its status version did, and an ERROR keeps the reason it failed for. */
function evolveRow<Row extends RowStatus>(row: Row, recorded: RecordedEvent): Row {
  const event = recorded as unknown as InstanceEvent;
  const state = instanceDecider.evolve(row.state, event);
  return {
    ...row, state, updatedAt: recorded.occurredAt,
    statusSince: state.statusVersion !== row.state.statusVersion ? recorded.occurredAt : row.statusSince,
    failureReason: state.status === 'ERROR' ? (event.type === 'InstanceFailed' ? event.data.reason : row.failureReason) : null,
  };
}

/** Writes new instances' rows in one statement, each with its plan's size and its name in its region's DNS zone. */
async function insertNewInstances(tx: Sql, rows: NewInstanceRow[]): Promise<void> {
  await tx.query(
    `INSERT INTO instances (id, position, account_id, name, kind, image_id, plan_id, region_id, billing_cycle, status, status_since, host_id,
       failure_reason, vcpus, memory_mb, disk_gb, state, created_at, updated_at, fqdn)
     SELECT n.id, n.position, q."accountId", q.name, q.kind, q."imageId", p.id, r.id, q."billingCycle", n.state->>'status', n."statusSince",
       n.state->>'hostId', n."failureReason", p.vcpus, p.memory_mb, p.disk_gb, n.state, n."createdAt", n."updatedAt", q.name || '.' || r.id || '.' || r.dns_zone
     FROM jsonb_to_recordset($1::jsonb) AS n (id uuid, requested jsonb, position bigint, "createdAt" timestamptz, "statusSince" timestamptz,
       "updatedAt" timestamptz, "failureReason" text, state jsonb)
     CROSS JOIN LATERAL jsonb_to_record(n.requested) AS q ("accountId" text, name text, kind text, "imageId" text, "regionId" text, "billingCycle" text)
     JOIN plans p ON p.id = n.state->>'planId' JOIN regions r ON r.id = q."regionId"`,
    [JSON.stringify(rows)],
  );
}

/** `instances`: each instance as its events say, with the plan's size for quotas. */
export const instancesProjection: Projection = {
  name: 'instances',
  eventTypes: INSTANCE_EVENT_TYPES,
  async apply(tx, recorded, before) {
    const event = recorded as unknown as InstanceEvent;
    if (event.type === 'InstanceRequested') {
      await insertNewInstances(tx, [newInstance(recorded)]);
      return;
    }
    const id = instanceIdOf(recorded.streamId);
    // The state the command decided on is the row's (it is kept with every event): only a rebuild reads it.
    const state = (before as InstanceState | undefined)
      ?? (await tx.query<{ state: InstanceState }>('SELECT state FROM instances WHERE id = $1 FOR UPDATE', [id])).rows[0].state;
    // What the row had beside its state stays as it was where the event leaves it (null here).
    const after = evolveRow({ state, statusSince: null, updatedAt: null, failureReason: null }, recorded);
    await tx.query(
      `UPDATE instances i SET status = $2, host_id = $3, plan_id = $4, state = $5, updated_at = $6, status_since = coalesce($7, i.status_since),
         failure_reason = CASE WHEN $2 = 'ERROR' THEN coalesce($8, i.failure_reason) END, vcpus = p.vcpus, memory_mb = p.memory_mb, disk_gb = p.disk_gb
       FROM plans p WHERE i.id = $1 AND p.id = $4`,
      [id, after.state.status, after.state.hostId, after.state.planId, after.state, after.updatedAt, after.statusSince, after.failureReason],
    );
  },
  /** New instances (a batch of creates) are folded here and written in one statement; any other event as `apply` does. */
  async applyAll(tx, events) {
    const created = new Map<string, NewInstanceRow>();
    const others: RecordedEvent[] = [];
    for (const recorded of events) {
      const row = created.get(recorded.streamId);
      if (recorded.type === 'InstanceRequested') created.set(recorded.streamId, newInstance(recorded));
      else if (row) created.set(recorded.streamId, evolveRow(row, recorded));
      else others.push(recorded);
    }
    if (created.size > 0) await insertNewInstances(tx, [...created.values()]);
    for (const recorded of others) await this.apply(tx, recorded);
  },
  async clear(tx) {
    await tx.query('DELETE FROM instances');
  },
  // Every event of an instance's stream is folded into its row's state (INSTANCE_EVENT_TYPES), so a command decides from the row.
  keeps: {
    decider: instanceDecider,
    async read(sql, streamId) {
      const id = instanceIdOf(streamId);
      if (!isUuid(id)) return null;
      // Named, as the stream's own read: every command on an instance makes it.
      const { rows: [kept] } = await sql.query<{ state: InstanceState; version: number }>({
        name: 'compute_kept_instance_state',
        text: 'SELECT i.state, (SELECT max(e.version) FROM events e WHERE e.stream_id = $2) AS version FROM instances i WHERE i.id = $1',
        values: [id, streamId],
      });
      return kept && kept.state.version === kept.version ? kept : null;
    },
  },
};
