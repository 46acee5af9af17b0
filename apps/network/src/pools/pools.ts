import { AppError, type PoolInput, type PoolView } from '#libs/contracts';
import { isExclusionViolation } from '#libs/event-store';
import { formatPrefix } from '../ip-range.js';
import { validatePool } from './pool.js';
import type { PoolsRepository } from './pools.repository.js';

/** The admin's pools: create, list, retire. Retired pools hand out nothing new; their addresses stay until released. */
export class Pools {
  constructor(private readonly repository: PoolsRepository) {}

  async create(input: PoolInput): Promise<PoolView> {
    const pool = validatePool(input, await this.repository.all());
    try {
      await this.repository.insert(pool);
    } catch (error) {
      // The table's exclusion constraint catches the overlap of two pools created at once, which validation could not see.
      if (isExclusionViolation(error)) throw AppError.badInput('input.prefix', `${formatPrefix(pool.prefix)} overlaps a pool created just now`);
      throw error;
    }
    return this.view(pool.id);
  }

  async retire(id: unknown): Promise<PoolView> {
    if (!(await this.repository.deactivate(String(id)))) throw AppError.notFound(`pool ${String(id)}`);
    return this.view(String(id));
  }

  list(filter: { regionId?: string; includeRetired?: boolean }): Promise<PoolView[]> {
    return this.repository.views({ regionId: filter.regionId, includeRetired: filter.includeRetired });
  }

  private async view(id: string): Promise<PoolView> {
    return (await this.repository.views({ includeRetired: true, id }))[0];
  }
}
