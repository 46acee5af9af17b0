import { Controller } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import type { RegionPrefixCheck, RequestOf } from '#libs/contracts';
import { Handles } from '#libs/messaging';
import { RegionPrefixChecks } from './region-prefix-check.js';

/** `compute.region.checkPrefix`: network's question to a region's hosts before it makes a pool. */
@Controller()
export class RegionPrefixCheckController {
  constructor(private readonly checks: RegionPrefixChecks) {}

  @Handles('compute.region.checkPrefix')
  check(@Payload() payload: RequestOf<'compute.region.checkPrefix'>): Promise<RegionPrefixCheck> {
    return this.checks.check(payload);
  }
}
