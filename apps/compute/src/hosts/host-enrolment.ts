import type pg from 'pg';
import { AppError, isRfc1123Label, isValidHostId, type EnrollHostInput, type EventMetadata, type HostEnrollmentView, type HostView } from '#libs/contracts';
import { handleCommand, type EventStore } from '#libs/event-store';
import { HostCredentials } from './host-credentials.js';
import { hostDecider, hostStreamId } from './host.decider.js';
import { Hosts } from './hosts.js';

/** ADMIN's hosts: enrolled with credentials for their agent, shown once; retired, their credentials revoked. */
export class HostEnrolment {
  constructor(
    private readonly pool: pg.Pool,
    private readonly store: EventStore,
    private readonly hosts: Hosts,
    private readonly credentials: HostCredentials,
  ) {}

  async enroll(input: EnrollHostInput, metadata: EventMetadata): Promise<HostEnrollmentView> {
    if (!isValidHostId(input?.id)) throw AppError.badInput('input.id', 'must be lower-case letters, digits and - (at most 63), and not "heartbeat"');
    if (!isRfc1123Label(input.regionId)) throw AppError.badInput('input.regionId', 'must be lower-case letters, digits and - (at most 63)');
    const { rowCount } = await this.pool.query('SELECT 1 FROM regions WHERE id = $1', [input.regionId]);
    if (!rowCount) throw AppError.badInput('input.regionId', `no region ${input.regionId}`);
    const issued = await this.credentials.issue(input.id);
    await handleCommand(
      this.store,
      hostStreamId(input.id),
      hostDecider,
      { type: 'Enroll', hostId: input.id, regionId: input.regionId, userKey: issued.publicKey },
      metadata,
    );
    // The host's earlier credentials, if it had any, stop working now.
    await this.revoked(input.id);
    return { host: (await this.hosts.find(input.id))!, credentials: issued.credentials };
  }

  async retire(hostId: string, metadata: EventMetadata): Promise<HostView> {
    if (!isValidHostId(hostId)) throw AppError.notFound(`host ${hostId}`);
    await handleCommand(this.store, hostStreamId(hostId), hostDecider, { type: 'Retire', hostId }, metadata);
    await this.revoked(hostId);
    return (await this.hosts.find(hostId))!;
  }

  /** What the events say is revoked, NATS must refuse before the ADMIN is told it is done. */
  private async revoked(hostId: string): Promise<void> {
    try {
      await this.credentials.pushRevocations();
    } catch (error) {
      throw AppError.unavailable(`host ${hostId}'s earlier credentials are revoked, but NATS has not taken it yet (${(error as Error).message}): ask again`);
    }
  }
}
