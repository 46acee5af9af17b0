import { Controller, Inject } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import type pg from 'pg';
import type { InstanceKind } from '#libs/contracts';
import { PG_POOL } from '#libs/event-sourcing';
import { Catalog, type Plan, type Region, type RegisterImage } from './catalog.js';

/** `compute.catalog.*`: what the gateway lists and ADMIN edits. */
@Controller()
export class CatalogController {
  private readonly catalog: Catalog;

  constructor(@Inject(PG_POOL) pool: pg.Pool) {
    this.catalog = new Catalog(pool);
  }

  @MessagePattern('compute.catalog.regions')
  regions() {
    return this.catalog.regions();
  }

  @MessagePattern('compute.catalog.plans')
  plans(@Payload() payload: { kind?: InstanceKind; retired?: boolean }) {
    return this.catalog.plans(payload?.kind, payload?.retired);
  }

  @MessagePattern('compute.catalog.images')
  images(@Payload() payload: { kind?: InstanceKind; retired?: boolean }) {
    return this.catalog.images(payload?.kind, payload?.retired);
  }

  @MessagePattern('compute.catalog.image.register')
  registerImage(@Payload() payload: { input: RegisterImage }) {
    return this.catalog.registerImage(payload?.input);
  }

  @MessagePattern('compute.catalog.plan.save')
  savePlan(@Payload() payload: { input: Plan }) {
    return this.catalog.savePlan(payload?.input);
  }

  @MessagePattern('compute.catalog.region.save')
  saveRegion(@Payload() payload: { input: Region }) {
    return this.catalog.saveRegion(payload?.input);
  }

  @MessagePattern('compute.catalog.plan.offer')
  offerPlan(@Payload() payload: { id: string; offered: boolean }) {
    return this.catalog.setOffered('plan', payload?.id, payload?.offered).then(() => this.catalog.plan(payload.id));
  }

  @MessagePattern('compute.catalog.image.offer')
  offerImage(@Payload() payload: { id: string; offered: boolean }) {
    return this.catalog.setOffered('image', payload?.id, payload?.offered).then(() => this.catalog.image(payload.id));
  }
}
