import { chmod, mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { AppError, type ImageImportRequest, type ImportedImage } from '#libs/contracts';
import { sweepLeftovers, workInProgress } from './built-once.js';
import { fetchImage, type FetchLimits } from './image-fetch.js';
import { inspectRootfs, inspectVmImage, refused } from './image-inspection.js';

const IMAGE_ID = /^[a-z0-9][a-z0-9._-]{0,62}$/;
const MIB = 1024 * 1024;

/** At most 50 GB, and at least 1 MB a minute (17 KB/s: a 2 GB image in a day and a half). */
export const IMPORT_LIMITS: FetchLimits = { maxBytes: 50 * 1024 * MIB, windowMs: 60_000, minBytesPerWindow: MIB };

/** What the storage keeps beside an imported image: what it was checked against, and what the import answered. */
interface ImportRecord {
  sha256: string;
  image: ImportedImage;
}

function validRequest(request: ImageImportRequest): ImageImportRequest {
  if (typeof request?.imageId !== 'string' || !IMAGE_ID.test(request.imageId)) throw AppError.badInput('imageId', 'must be a catalog image id');
  if (request.kind !== 'VM' && request.kind !== 'CONTAINER') throw AppError.badInput('kind', 'must be VM or CONTAINER');
  if (typeof request.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(request.sha256)) throw AppError.badInput('sha256', 'must be 64 lower-case hexadecimal digits');
  if (typeof request.source !== 'string' || !request.source) throw AppError.badInput('source', 'must be an http(s) URL or a path under the image storage');
  return request;
}

/**
 * Imports the catalog's images into `<imagesDir>/catalog/`, the storage the region's hosts share:
 * fetched into a folder of its own, checked (checksum, then format, without executing or mounting
 * anything), a raw disk converted to qcow2, and only then moved where instances find it. The same
 * image asked again, here or by another host of the storage, is answered from what is stored;
 * asked while it is being imported, it waits for that import.
 */
export class ImageImports implements OnApplicationBootstrap {
  private readonly importing = new Map<string, Promise<ImportedImage>>();
  private readonly catalogDir: string;

  constructor(
    private readonly imagesDir: string,
    private readonly limits: FetchLimits = IMPORT_LIMITS,
  ) {
    this.catalogDir = path.join(imagesDir, 'catalog');
  }

  /**
   * Removes, in the background, what this machine's earlier agents left half-made on the image storage
   * when they crashed (imports, unpacked images, disk templates): no one would ever finish or remove it.
   */
  onApplicationBootstrap(): void {
    const logger = new Logger('images');
    sweepLeftovers(this.imagesDir).then(
      (removed) => removed.length && logger.log(`removed what a crash left half-made: ${removed.join(', ')}`),
      (error: unknown) => logger.warn({ msg: 'could not sweep the image storage of what a crash left half-made', err: error }),
    );
  }

  import(request: ImageImportRequest): Promise<ImportedImage> {
    const { imageId } = validRequest(request);
    let pending = this.importing.get(imageId);
    if (!pending) {
      pending = this.run(request).finally(() => this.importing.delete(imageId));
      this.importing.set(imageId, pending);
    }
    return pending;
  }

  private async run(request: ImageImportRequest): Promise<ImportedImage> {
    const target = path.join(this.catalogDir, `${request.imageId}.${request.kind === 'VM' ? 'qcow2' : 'tar'}`);
    const recordFile = path.join(this.catalogDir, `${request.imageId}.json`);
    const record = await readFile(recordFile, 'utf8').then((text) => JSON.parse(text) as ImportRecord, () => null);
    if (record) {
      if (record.sha256 === request.sha256 && record.image.location === target) return record.image;
      // Instances may be running on the stored file (a VM's disk is an overlay on it): it is never replaced.
      throw AppError.conflict(`the image storage holds another file for image ${request.imageId}: register the new file under a new id`);
    }
    await mkdir(this.catalogDir, { recursive: true });
    const work = workInProgress(path.join(this.catalogDir, `.import-${request.imageId}`));
    await rm(work, { recursive: true, force: true }); // a crashed process's, where this one has its pid
    await mkdir(work, { mode: 0o700 });
    try {
      const fetched = path.join(work, 'fetched');
      const { sha256 } = await fetchImage(request.source, this.imagesDir, fetched, this.limits);
      if (sha256 !== request.sha256) throw refused(`checksum mismatch: the file's sha256 is ${sha256}, not ${request.sha256}`);
      let stored = fetched;
      let virtualSizeMb: number | null = null;
      if (request.kind === 'VM') {
        const { qcow2, virtualSize } = await inspectVmImage(fetched, work);
        stored = qcow2;
        virtualSizeMb = Math.ceil(virtualSize / MIB);
      } else {
        await inspectRootfs(fetched);
      }
      const image: ImportedImage = { imageId: request.imageId, location: target, sizeMb: Math.ceil((await stat(stored)).size / MIB), virtualSizeMb };
      // Checked: now every host of the region may read it. The record comes last, so it only ever describes a file in place.
      await chmod(stored, 0o644);
      await rename(stored, target);
      const written = path.join(work, 'record.json');
      await writeFile(written, JSON.stringify({ sha256, image } satisfies ImportRecord));
      await rename(written, recordFile);
      return image;
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  }
}
