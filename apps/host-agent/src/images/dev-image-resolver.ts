import path from 'node:path';
import { AppError, type InstanceKind, type InstanceSpec } from '#libs/contracts';
import { buildBlankQcow2, buildBusyboxKernel, buildBusyboxRootfs } from './dev-images.js';

const DEV_IMAGES: Record<string, { kind: InstanceKind; file: string; build: (target: string) => Promise<string> }> = {
  'busybox-rootfs': { kind: 'CONTAINER', file: 'busybox-rootfs.tar.gz', build: buildBusyboxRootfs },
  'blank-disk': { kind: 'VM', file: 'blank.qcow2', build: (target) => buildBlankQcow2(target) },
  'busybox-kernel': { kind: 'VM', file: 'busybox-kernel', build: buildBusyboxKernel },
};

/**
 * `dev:<name>` images (the catalog's seeded development images) are built by each agent from
 * this machine's own files, once, into its images folder; the spec then names that file.
 */
export async function resolveDevImage(spec: InstanceSpec, imagesDir: string): Promise<InstanceSpec> {
  if (!spec.image.location.startsWith('dev:')) return spec;
  const name = spec.image.location.slice('dev:'.length);
  const image = DEV_IMAGES[name];
  if (!image) throw AppError.badInput('spec.image.location', `no development image "${name}" (known: ${Object.keys(DEV_IMAGES).join(', ')})`);
  if (image.kind !== spec.kind) throw AppError.badInput('spec.image.location', `${spec.image.location} makes ${image.kind} instances only`);
  const location = await image.build(path.join(imagesDir, image.file));
  return { ...spec, image: { ...spec.image, location } };
}
