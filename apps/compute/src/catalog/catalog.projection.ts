import type { Projection, RecordedEvent } from '#libs/event-store';
import { importFailure, type ImageEvent } from './image.decider.js';
import type { PlanEvent } from './plan.decider.js';
import type { RegionEvent } from './region.decider.js';

type CatalogEvent = RegionEvent | PlanEvent | ImageEvent;
type Data<T extends CatalogEvent['type']> = Extract<CatalogEvent, { type: T }>['data'];
const dataOf = <T extends CatalogEvent['type']>(event: RecordedEvent, _type: T) => event.data as Data<T>;

/**
 * `regions`, `plans`, `images` and `image_locations`: the catalog as its events say, what the
 * gateway lists, creates check, and the provisioner finds images by.
 */
export const catalogProjection: Projection = {
  name: 'catalog',
  eventTypes: ['RegionCreated', 'PlanSaved', 'PlanRecorded', 'PlanRetired', 'ImageRegistered', 'ImageRecorded', 'ImageImported', 'ImageImportFailed', 'ImageRetired'],
  async apply(tx, event) {
    switch (event.type as CatalogEvent['type']) {
      case 'RegionCreated': {
        const region = dataOf(event, 'RegionCreated');
        await tx.query('INSERT INTO regions (id, name, dns_zone) VALUES ($1, $2, $3)', [region.regionId, region.name, region.dnsZone]);
        return;
      }
      case 'PlanSaved':
      case 'PlanRecorded': {
        const plan = dataOf(event, 'PlanRecorded');
        await tx.query(
          `INSERT INTO plans (id, name, kind, vcpus, memory_mb, disk_gb) VALUES ($1, $2, $3, $4, $5, $6)
           ON CONFLICT (id) DO UPDATE SET name = excluded.name`,
          [plan.planId, plan.name, plan.kind, plan.vcpus, plan.memoryMb, plan.diskGb],
        );
        return;
      }
      case 'PlanRetired':
        await tx.query('UPDATE plans SET retired = true WHERE id = $1', [dataOf(event, 'PlanRetired').planId]);
        return;
      case 'ImageRegistered': {
        const image = dataOf(event, 'ImageRegistered');
        await tx.query(
          `INSERT INTO images (id, name, os, version, kind, status, source, sha256, pending_regions) VALUES ($1, $2, $3, $4, $5, 'IMPORTING', $6, $7, $8)`,
          [image.imageId, image.name, image.os, image.version, image.kind, image.source, image.sha256, image.regionIds],
        );
        return;
      }
      case 'ImageRecorded': {
        const image = dataOf(event, 'ImageRecorded');
        await tx.query(
          `INSERT INTO images (id, name, os, version, kind, status, location) VALUES ($1, $2, $3, $4, $5, 'AVAILABLE', $6)`,
          [image.imageId, image.name, image.os, image.version, image.kind, image.location],
        );
        return;
      }
      case 'ImageImported': {
        const imported = dataOf(event, 'ImageImported');
        await tx.query('INSERT INTO image_locations (image_id, region_id, location) VALUES ($1, $2, $3)', [imported.imageId, imported.regionId, imported.location]);
        // The last region to import it makes it AVAILABLE, unless it failed elsewhere or was retired meanwhile.
        await tx.query(
          `UPDATE images SET pending_regions = array_remove(pending_regions, $2), size_mb = coalesce(size_mb, $3), virtual_size_mb = coalesce(virtual_size_mb, $4),
             status = CASE WHEN status = 'IMPORTING' AND cardinality(array_remove(pending_regions, $2)) = 0 THEN 'AVAILABLE' ELSE status END
           WHERE id = $1`,
          [imported.imageId, imported.regionId, imported.sizeMb, imported.virtualSizeMb],
        );
        return;
      }
      case 'ImageImportFailed': {
        const failed = dataOf(event, 'ImageImportFailed');
        await tx.query(
          `UPDATE images SET pending_regions = array_remove(pending_regions, $2), failure_reason = coalesce(failure_reason, $3),
             status = CASE WHEN status = 'RETIRED' THEN status ELSE 'ERROR' END
           WHERE id = $1`,
          [failed.imageId, failed.regionId, importFailure(failed)],
        );
        return;
      }
      case 'ImageRetired':
        await tx.query(`UPDATE images SET status = 'RETIRED' WHERE id = $1`, [dataOf(event, 'ImageRetired').imageId]);
    }
  },
  async clear(tx) {
    await tx.query('DELETE FROM image_locations; DELETE FROM images; DELETE FROM plans; DELETE FROM regions;');
  },
};
