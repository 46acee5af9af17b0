import { Controller } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { AppError, type Caller, type CatalogFilter, type CreateRegionInput, type RegisterImageInput, type SavePlanInput } from '#libs/contracts';
import { Handles, isPlatformWide, metadataOf, scopeOf } from '#libs/messaging';
import { Catalog } from './catalog.js';

/** The catalog's changes are the platform's: a request in a tenant's scope, or in none, is refused. */
function platformCaller(payload: Caller | undefined) {
  if (!isPlatformWide(scopeOf(payload))) throw new AppError('FORBIDDEN', "only ADMIN changes the catalog");
  return metadataOf(payload);
}

/** `compute.catalog.*`: what the gateway lists and ADMIN changes. */
@Controller()
export class CatalogController {
  constructor(private readonly catalog: Catalog) {}

  @Handles('compute.catalog.regions')
  regions() {
    return this.catalog.regions();
  }

  @Handles('compute.catalog.plans')
  plans(@Payload() payload: CatalogFilter) {
    return this.catalog.plans(payload?.kind, payload?.retired);
  }

  @Handles('compute.catalog.images')
  images(@Payload() payload: CatalogFilter) {
    return this.catalog.images(payload?.kind, payload?.retired);
  }

  @Handles('compute.catalog.region.create')
  createRegion(@Payload() payload: Caller & { input: CreateRegionInput }) {
    return this.catalog.createRegion(payload?.input, platformCaller(payload));
  }

  @Handles('compute.catalog.plan.save')
  savePlan(@Payload() payload: Caller & { input: SavePlanInput }) {
    return this.catalog.savePlan(payload?.input, platformCaller(payload));
  }

  @Handles('compute.catalog.plan.retire')
  retirePlan(@Payload() payload: Caller & { id: string }) {
    return this.catalog.retirePlan(payload?.id, platformCaller(payload));
  }

  @Handles('compute.catalog.image.register')
  registerImage(@Payload() payload: Caller & { input: RegisterImageInput }) {
    return this.catalog.registerImage(payload?.input, platformCaller(payload));
  }

  @Handles('compute.catalog.image.retire')
  retireImage(@Payload() payload: Caller & { id: string }) {
    return this.catalog.retireImage(payload?.id, platformCaller(payload));
  }
}
