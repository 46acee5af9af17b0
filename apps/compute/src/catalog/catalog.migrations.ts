import type { Migration } from '#libs/event-store';

const GB = 1024;

/** Plans from 512 MB to 8 GB for both kinds; disks grow with memory. */
function seedPlans(): string {
  const sizes = [
    { suffix: '512m', vcpus: 1, memoryMb: 512, diskGb: 10 },
    { suffix: '1g', vcpus: 1, memoryMb: GB, diskGb: 25 },
    { suffix: '2g', vcpus: 1, memoryMb: 2 * GB, diskGb: 50 },
    { suffix: '4g', vcpus: 2, memoryMb: 4 * GB, diskGb: 80 },
    { suffix: '8g', vcpus: 4, memoryMb: 8 * GB, diskGb: 160 },
  ];
  const rows = (['VM', 'CONTAINER'] as const).flatMap((kind) =>
    sizes.map((s) => {
      const id = `${kind === 'VM' ? 'vm' : 'ct'}-${s.suffix}`;
      const name = `${kind === 'VM' ? 'VM' : 'Container'} ${s.memoryMb >= GB ? `${s.memoryMb / GB} GB` : `${s.memoryMb} MB`}`;
      return `('${id}', '${name}', '${kind}', ${s.vcpus}, ${s.memoryMb}, ${s.diskGb})`;
    }),
  );
  return `INSERT INTO plans (id, name, kind, vcpus, memory_mb, disk_gb) VALUES ${rows.join(',\n')};`;
}

export const catalogMigrations: Migration[] = [
  {
    id: '0100-catalog',
    sql: `
      CREATE TABLE regions (
        id text PRIMARY KEY,
        name text NOT NULL,
        dns_zone text NOT NULL
      );
      CREATE TABLE plans (
        id text PRIMARY KEY,
        name text NOT NULL,
        kind text NOT NULL CHECK (kind IN ('VM', 'CONTAINER')),
        vcpus integer NOT NULL CHECK (vcpus > 0),
        memory_mb integer NOT NULL CHECK (memory_mb > 0),
        disk_gb integer NOT NULL CHECK (disk_gb > 0),
        active boolean NOT NULL DEFAULT true
      );
      CREATE TABLE images (
        id text PRIMARY KEY,
        name text NOT NULL,
        os text NOT NULL,
        version text NOT NULL,
        kind text NOT NULL CHECK (kind IN ('VM', 'CONTAINER')),
        -- where hosts find it: an absolute path, template:<name>, or dev:<name> (built by each agent)
        location text NOT NULL,
        active boolean NOT NULL DEFAULT true
      );
    `,
  },
  {
    // A first start has something to run: one region, the plans, and images every agent builds locally.
    id: '0101-catalog-seed',
    sql: `
      INSERT INTO regions (id, name, dns_zone) VALUES ('local', 'Local', 'local.awan.test');
      ${seedPlans()}
      INSERT INTO images (id, name, os, version, kind, location) VALUES
        ('dev-busybox-rootfs', 'BusyBox rootfs (development)', 'busybox', 'host', 'CONTAINER', 'dev:busybox-rootfs'),
        ('dev-blank-disk', 'Blank disk (development, boots nothing)', 'none', '0', 'VM', 'dev:blank-disk');
    `,
  },
  {
    // A VM image that boots: the host's Debian cloud kernel with a busybox initramfs that reads
    // the NoCloud seed. An operator may have registered this id already; theirs stays.
    id: '0102-seed-boot-image',
    sql: `
      INSERT INTO images (id, name, os, version, kind, location) VALUES
        ('dev-busybox-kernel', 'Debian cloud kernel with BusyBox initramfs (development)', 'busybox', 'host', 'VM', 'dev:busybox-kernel')
      ON CONFLICT (id) DO NOTHING;
    `,
  },
  {
    // An instance's name is <name>.<region>.<dnsZone>: the seeded zone named the region twice (web.local.local.awan.test).
    id: '0103-local-dns-zone',
    sql: `UPDATE regions SET dns_zone = 'awan.test' WHERE id = 'local' AND dns_zone = 'local.awan.test';`,
  },
  {
    // The catalog becomes events: the tables are the catalog projection from here on. Every row
    // there is now (the seed, and what operators added over NATS) is recorded as the first
    // events of its stream, so a rebuild of the projection gives the same catalog. Plans from
    // before prices travelled with them are PlanRecorded (billing keeps their prices as they
    // are); images from before imports are ImageRecorded, AVAILABLE at their location.
    id: '0104-catalog-events',
    sql: `
      ALTER TABLE plans ADD COLUMN retired boolean NOT NULL DEFAULT false;
      UPDATE plans SET retired = NOT active;
      ALTER TABLE plans DROP COLUMN active;

      ALTER TABLE images ADD COLUMN status text NOT NULL DEFAULT 'AVAILABLE' CHECK (status IN ('IMPORTING', 'AVAILABLE', 'ERROR', 'RETIRED'));
      UPDATE images SET status = 'RETIRED' WHERE NOT active;
      ALTER TABLE images DROP COLUMN active;
      -- An imported image is found per region (image_locations); one from before imports where it always was.
      ALTER TABLE images ALTER COLUMN location DROP NOT NULL;
      ALTER TABLE images
        ADD COLUMN source text,
        ADD COLUMN sha256 text,
        ADD COLUMN size_mb integer,
        ADD COLUMN virtual_size_mb integer,
        ADD COLUMN failure_reason text,
        ADD COLUMN pending_regions text[] NOT NULL DEFAULT '{}';
      CREATE TABLE image_locations (
        image_id text NOT NULL,
        region_id text NOT NULL,
        location text NOT NULL,
        PRIMARY KEY (image_id, region_id)
      );

      CREATE TEMPORARY TABLE catalog_history (stream_id text, version integer, type text, data jsonb, n serial) ON COMMIT DROP;
      INSERT INTO catalog_history (stream_id, version, type, data)
        SELECT 'region-' || id, 1, 'RegionCreated', jsonb_build_object('regionId', id, 'name', name, 'dnsZone', dns_zone) FROM regions ORDER BY id;
      INSERT INTO catalog_history (stream_id, version, type, data)
        SELECT 'plan-' || id, 1, 'PlanRecorded',
               jsonb_build_object('planId', id, 'name', name, 'kind', kind, 'vcpus', vcpus, 'memoryMb', memory_mb, 'diskGb', disk_gb)
        FROM plans ORDER BY id;
      INSERT INTO catalog_history (stream_id, version, type, data)
        SELECT 'plan-' || id, 2, 'PlanRetired', jsonb_build_object('planId', id) FROM plans WHERE retired ORDER BY id;
      INSERT INTO catalog_history (stream_id, version, type, data)
        SELECT 'image-' || id, 1, 'ImageRecorded',
               jsonb_build_object('imageId', id, 'name', name, 'os', os, 'version', version, 'kind', kind, 'location', location)
        FROM images ORDER BY id;
      INSERT INTO catalog_history (stream_id, version, type, data)
        SELECT 'image-' || id, 2, 'ImageRetired', jsonb_build_object('imageId', id) FROM images WHERE status = 'RETIRED' ORDER BY id;
      INSERT INTO events (event_id, stream_id, version, type, data, metadata, occurred_at)
        SELECT gen_random_uuid(), stream_id, version, type, data,
               '{"correlationId": "migration-0104-catalog-events", "causationId": null, "actor": {"kind": "system"}}'::jsonb, now()
        FROM catalog_history ORDER BY n;
    `,
  },
];
