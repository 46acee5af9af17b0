import { AppError, isRfc1123Label, type RegionPrefixCheck } from '#libs/contracts';
import type { ServiceClient } from '#libs/messaging';
import type { Hosts } from './hosts.js';

/** How long each host has to say whether a prefix overlaps what it uses: it reads its routes and two files. */
const HOST_ANSWER_TIMEOUT_MS = 3000;

/**
 * Asks every live host of a region (UP, or in maintenance: it still runs instances and takes its
 * bridges back up) whether a pool's prefix overlaps a route or an address it uses. Network asks
 * before it makes a pool, as it knows no hosts. A region with no live host has nothing to ask.
 */
export class RegionPrefixChecks {
  constructor(
    private readonly hosts: Hosts,
    private readonly client: ServiceClient,
  ) {}

  async check(request: { regionId: string; prefix: string; bridge: string }): Promise<RegionPrefixCheck> {
    if (!isRfc1123Label(request?.regionId)) throw AppError.badInput('regionId', 'must be a region id');
    if (typeof request.prefix !== 'string' || typeof request.bridge !== 'string') throw AppError.badInput('prefix', 'a prefix and a bridge are required');
    const live = (await this.hosts.list()).filter((host) => host.regionId === request.regionId && host.status !== 'DOWN');
    const answers = await Promise.allSettled(
      live.map((host) => this.client.callAgent(host.id, 'network.checkPrefix', { prefix: request.prefix, bridge: request.bridge }, HOST_ANSWER_TIMEOUT_MS)),
    );
    // A host that did not answer may use the prefix: the pool waits until every live host has said.
    const unanswered = answers.flatMap((answer, i) => (answer.status === 'rejected' ? [`host ${live[i].id}: ${(answer.reason as Error).message}`] : []));
    if (unanswered.length > 0) throw AppError.unavailable(`not every host of region ${request.regionId} said whether it uses ${request.prefix} (${unanswered.join('; ')})`);
    return {
      hostIds: live.map((host) => host.id),
      overlaps: answers.flatMap((answer, i) => (answer.status === 'fulfilled' && answer.value.overlap ? [{ hostId: live[i].id, overlap: answer.value.overlap }] : [])),
    };
  }
}
