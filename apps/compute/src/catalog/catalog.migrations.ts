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
];
