import type { InstanceFilterEvents } from '#libs/contracts';
import type { Projection } from '#libs/event-store';
import type { FirewallEvent } from './firewall.decider.js';

export const FIREWALL_EVENT_TYPES: readonly FirewallEvent['type'][] = [
  'FirewallCreated', 'FirewallRulesSet', 'FirewallAttached', 'FirewallDetached', 'FirewallDeleted',
];

/** `firewalls` (deleted ones kept, for their id's history) and `firewall_attachments`, what each is attached to now. */
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
          'INSERT INTO firewalls (id, position, account_id, name, rules, created_at) VALUES ($1, $2, $3, $4, $5, $6)',
          [firewallId, recorded.globalPosition, accountId, name, JSON.stringify(rules), recorded.occurredAt],
        );
        return;
      }
      case 'FirewallRulesSet':
        await tx.query('UPDATE firewalls SET rules = $2 WHERE id = $1', [firewallId, JSON.stringify(event.data.rules)]);
        return;
      case 'FirewallAttached':
        await tx.query(
          'INSERT INTO firewall_attachments (firewall_id, instance_id, position) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING',
          [firewallId, event.data.instanceId, recorded.globalPosition],
        );
        return;
      case 'FirewallDetached':
        await tx.query('DELETE FROM firewall_attachments WHERE firewall_id = $1 AND instance_id = $2', [firewallId, event.data.instanceId]);
        return;
      case 'FirewallDeleted':
        await tx.query('UPDATE firewalls SET deleted_at = $2 WHERE id = $1', [firewallId, recorded.occurredAt]);
        return;
    }
  },
  async clear(tx) {
    await tx.query('DELETE FROM firewall_attachments');
    await tx.query('DELETE FROM firewalls');
  },
};

/** `instance_filters`: the revision of each instance's filter, its stream's version. */
export const instanceFiltersProjection: Projection = {
  name: 'instance-filters',
  eventTypes: ['InstanceFilterChanged'],
  async apply(tx, recorded) {
    const { instanceId, revision } = recorded.data as InstanceFilterEvents['InstanceFilterChanged'];
    await tx.query(
      `INSERT INTO instance_filters (instance_id, revision) VALUES ($1, $2)
       ON CONFLICT (instance_id) DO UPDATE SET revision = greatest(instance_filters.revision, excluded.revision)`,
      [instanceId, revision],
    );
  },
  async clear(tx) {
    await tx.query('DELETE FROM instance_filters');
  },
};
