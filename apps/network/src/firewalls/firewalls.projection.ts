import { isUuid, type FirewallRule, type InstanceFilterEvents } from '#libs/contracts';
import type { Projection } from '#libs/event-store';
import { uncounted } from '../account-limits.js';
import { firewallDecider, firewallIdOf, type FirewallEvent, type FirewallState } from './firewall.decider.js';

export const FIREWALL_EVENT_TYPES: readonly FirewallEvent['type'][] = [
  'FirewallCreated', 'FirewallRulesSet', 'FirewallAttached', 'FirewallDetached', 'FirewallDeleted',
];

/**
 * `firewalls` (deleted ones kept, for their id's history) and `firewall_attachments`, what each is
 * attached to now, in the order attached: together with each row's stream version, a firewall's state
 * as its decider folds it, which its commands decide from (a firewall attached to every instance an
 * account makes has a long stream).
 */
export const firewallsProjection: Projection = {
  name: 'firewalls',
  eventTypes: FIREWALL_EVENT_TYPES,
  async apply(tx, recorded) {
    const event = recorded as unknown as FirewallEvent;
    const { firewallId } = event.data;
    switch (event.type) {
      case 'FirewallCreated': {
        const { accountId, name, rules } = event.data;
        await tx.query(
          'INSERT INTO firewalls (id, position, account_id, name, rules, created_at, version) VALUES ($1, $2, $3, $4, $5, $6, $7)',
          [firewallId, recorded.globalPosition, accountId, name, JSON.stringify(rules), recorded.occurredAt, recorded.version],
        );
        return;
      }
      case 'FirewallRulesSet':
        await tx.query('UPDATE firewalls SET rules = $2, version = $3 WHERE id = $1', [firewallId, JSON.stringify(event.data.rules), recorded.version]);
        return;
      case 'FirewallAttached':
        await tx.query(
          `WITH attached AS (INSERT INTO firewall_attachments (firewall_id, instance_id, position) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING)
           UPDATE firewalls SET version = $4 WHERE id = $1`,
          [firewallId, event.data.instanceId, recorded.globalPosition, recorded.version],
        );
        return;
      case 'FirewallDetached':
        await tx.query(
          `WITH detached AS (DELETE FROM firewall_attachments WHERE firewall_id = $1 AND instance_id = $2)
           UPDATE firewalls SET version = $3 WHERE id = $1`,
          [firewallId, event.data.instanceId, recorded.version],
        );
        return;
      case 'FirewallDeleted':
        await tx.query('UPDATE firewalls SET deleted_at = $2, version = $3 WHERE id = $1', [firewallId, recorded.occurredAt, recorded.version]);
        return;
    }
  },
  async clear(tx) {
    await uncounted(tx, 'awan.firewalls_per_account');
    await tx.query('DELETE FROM firewall_attachments');
    await tx.query('DELETE FROM firewalls');
  },
  keeps: {
    decider: firewallDecider,
    async read(sql, streamId) {
      const id = firewallIdOf(streamId);
      if (!isUuid(id)) return null;
      const { rows: [kept] } = await sql.query<{ accountId: string; name: string; rules: FirewallRule[]; deleted: boolean; instanceIds: string[]; version: number; head: number }>({
        name: 'network_kept_firewall_state',
        text: `SELECT f.account_id AS "accountId", f.name, f.rules, f.deleted_at IS NOT NULL AS deleted, f.version,
                 array(SELECT a.instance_id::text FROM firewall_attachments a WHERE a.firewall_id = f.id ORDER BY a.position) AS "instanceIds",
                 (SELECT max(e.version) FROM events e WHERE e.stream_id = $2) AS head
               FROM firewalls f WHERE f.id = $1`,
        values: [id, streamId],
      });
      if (!kept || kept.version !== kept.head) return null;
      const state: FirewallState = {
        status: kept.deleted ? 'DELETED' : 'ACTIVE', firewallId: id, accountId: kept.accountId, name: kept.name, rules: kept.rules, instanceIds: kept.instanceIds,
      };
      return { state, version: kept.version };
    },
  },
};

/** `instance_filters`: the revision of each instance's filter, its stream's version. */
export const instanceFiltersProjection: Projection = {
  name: 'instance-filters',
  eventTypes: ['InstanceFilterChanged'],
  apply(tx, recorded) {
    return instanceFiltersProjection.applyAll!(tx, [recorded]);
  },
  async applyAll(tx, events) {
    // Each instance once (one statement may not upsert a row twice), at its latest revision.
    const revisions = new Map<string, number>();
    for (const event of events) {
      const { instanceId, revision } = event.data as InstanceFilterEvents['InstanceFilterChanged'];
      revisions.set(instanceId, Math.max(revision, revisions.get(instanceId) ?? 0));
    }
    await tx.query(
      `INSERT INTO instance_filters (instance_id, revision) SELECT * FROM unnest($1::uuid[], $2::integer[])
       ON CONFLICT (instance_id) DO UPDATE SET revision = greatest(instance_filters.revision, excluded.revision)`,
      [[...revisions.keys()], [...revisions.values()]],
    );
  },
  async clear(tx) {
    await tx.query('DELETE FROM instance_filters');
  },
};
