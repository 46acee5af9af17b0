import type { Projection } from '#libs/event-store';
import type { HostEvent } from './host.decider.js';

type Data<T extends HostEvent['type']> = Extract<HostEvent, { type: T }>['data'];

/** `hosts`: each host's name, region and status, as its events say. */
export const hostsProjection: Projection = {
  name: 'hosts',
  eventTypes: ['HostRegistered', 'HostUp', 'HostDown', 'HostMaintenanceChanged'],
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
      }
    }
  },
  async clear(tx) {
    await tx.query('DELETE FROM hosts');
  },
};
