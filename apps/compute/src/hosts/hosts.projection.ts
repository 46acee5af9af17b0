import type { Projection, Sql } from '#libs/event-store';
import type { HostEvent } from './host.decider.js';

type Data<T extends HostEvent['type']> = Extract<HostEvent, { type: T }>['data'];

/** `hosts`: each host's name, region and status, and the credentials enrolments gave it, as its events say. */
export const hostsProjection: Projection = {
  name: 'hosts',
  eventTypes: ['HostRegistered', 'HostEnrolled', 'HostUp', 'HostDown', 'HostMaintenanceChanged', 'HostRetired', 'HostAgentStarted'],
  async apply(tx, event) {
    switch (event.type) {
      case 'HostRegistered': {
        const data = event.data as Data<'HostRegistered'>;
        await tx.query('INSERT INTO hosts (id, name, region_id, status, registered_at) VALUES ($1, $2, $3, $4, $5)', [
          data.hostId,
          data.name,
          data.regionId,
          'UP',
          event.occurredAt,
        ]);
        return;
      }
      case 'HostEnrolled': {
        const data = event.data as Data<'HostEnrolled'>;
        // New, or retired before: DOWN until its agent's first heartbeat. Enrolled again while live: as it was.
        await tx.query(
          `INSERT INTO hosts (id, name, region_id, status, down, registered_at) VALUES ($1, $2, $3, 'DOWN', true, $4)
           ON CONFLICT (id) DO UPDATE SET name = excluded.name, region_id = excluded.region_id, retired_at = NULL,
             down = hosts.down OR hosts.retired_at IS NOT NULL,
             maintenance = hosts.maintenance AND hosts.retired_at IS NULL,
             status = CASE WHEN hosts.retired_at IS NULL THEN hosts.status ELSE 'DOWN' END`,
          [data.hostId, data.name, data.regionId, event.occurredAt],
        );
        await revokeCredentials(tx, data.hostId, event.occurredAt);
        await tx.query('INSERT INTO host_credentials (user_key, host_id, issued_at) VALUES ($1, $2, $3)', [data.userKey, data.hostId, event.occurredAt]);
        return;
      }
      case 'HostRetired': {
        const { hostId } = event.data as Data<'HostRetired'>;
        // Shown DOWN, so nothing new is placed on it; `down` stays as it is, so the down check still
        // records HostDown once it is silent, and its instances are restarted elsewhere after it fenced.
        await tx.query(`UPDATE hosts SET retired_at = $2, status = 'DOWN' WHERE id = $1`, [hostId, event.occurredAt]);
        await revokeCredentials(tx, hostId, event.occurredAt);
        return;
      }
      case 'HostUp':
      case 'HostDown':
        await tx.query(
          `UPDATE hosts SET down = $2, status = CASE WHEN $2 THEN 'DOWN' WHEN maintenance THEN 'MAINTENANCE' ELSE 'UP' END WHERE id = $1`,
          [(event.data as Data<'HostUp'>).hostId, event.type === 'HostDown'],
        );
        return;
      case 'HostMaintenanceChanged': {
        const data = event.data as Data<'HostMaintenanceChanged'>;
        await tx.query(
          `UPDATE hosts SET maintenance = $2, status = CASE WHEN down THEN 'DOWN' WHEN $2 THEN 'MAINTENANCE' ELSE 'UP' END WHERE id = $1`,
          [data.hostId, data.maintenance],
        );
        return;
      }
      case 'HostAgentStarted': {
        const data = event.data as Data<'HostAgentStarted'>;
        await tx.query('UPDATE hosts SET agent_started_at = $2 WHERE id = $1', [data.hostId, data.agentStartedAt]);
      }
    }
  },
  async clear(tx) {
    await tx.query('DELETE FROM hosts');
    await tx.query('DELETE FROM host_credentials');
  },
};

function revokeCredentials(tx: Sql, hostId: string, at: string): Promise<unknown> {
  return tx.query('UPDATE host_credentials SET revoked_at = $2 WHERE host_id = $1 AND revoked_at IS NULL', [hostId, at]);
}
