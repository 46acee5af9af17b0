import { Controller } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import type { CatalogFilter, ImageView, PlanView, RegionView } from '#libs/contracts';
import { Handles } from '#libs/messaging';
import { Catalog } from './catalog.js';

/** `compute.catalog.*`: what the gateway lists and ADMIN edits. */
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

  @Handles('compute.catalog.image.register')
  registerImage(@Payload() payload: { input: ImageView }) {
    return this.catalog.registerImage(payload?.input);
  }

  @Handles('compute.catalog.plan.save')
  savePlan(@Payload() payload: { input: PlanView }) {
    return this.catalog.savePlan(payload?.input);
  }

  @Handles('compute.catalog.region.save')
  saveRegion(@Payload() payload: { input: RegionView }) {
    return this.catalog.saveRegion(payload?.input);
  }

  @Handles('compute.catalog.plan.offer')
  async offerPlan(@Payload() payload: { id: string; offered: boolean }) {
    await this.catalog.setOffered('plan', payload?.id, payload?.offered);
    return (await this.catalog.plan(payload.id))!;
  }

  @Handles('compute.catalog.image.offer')
  async offerImage(@Payload() payload: { id: string; offered: boolean }) {
    await this.catalog.setOffered('image', payload?.id, payload?.offered);
    return (await this.catalog.image(payload.id))!;
  }
}
