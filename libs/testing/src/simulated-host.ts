import { createHash } from 'node:crypto';
import { connect, type Msg, type NatsConnection, type Subscription } from '@nats-io/transport-node';
import { natsServers } from '#libs/messaging';
import { credentialsOptions } from '#libs/nats-auth';
import {
  agentHeartbeatSubject,
  agentSubject,
  AppError,
  type AgentCommand,
  type AgentCommands,
  type AgentInstanceStatus,
  type HostCapacity,
  type HostHeartbeat,
  type ImageImportRequest,
  type ImportedImage,
  type InstanceFilter,
  type InstanceKind,
  type InstanceSpec,
  type WireError,
} from '#libs/contracts';

export interface SimulatedHostOptions {
  hostId: string;
  natsUrl: string;
  /** The host's NATS credentials (a `.creds` text, as enrollHost gives them), where NATS authenticates. */
  credentials?: string;
  regionId?: string;
  kinds?: InstanceKind[];
  capacity?: HostCapacity;
  heartbeatIntervalMs?: number;
  /** When its first heartbeat goes (at once by default): a fleet spreads its hosts' over the interval, as hosts started apart would. */
  firstHeartbeatInMs?: number;
  /** How long each command takes before it is answered, as a real host's would: one figure for all, or by command. */
  commandDelayMs?: number | ((command: AgentCommand) => number);
  /**
   * A NATS connection to speak on, shared with other simulated hosts (a SimulatedFleet's), in place of
   * one of its own; the host leaves it open when it stops.
   */
  connection?: NatsConnection;
  /**
   * What the host says of a pool's prefix (`network.checkPrefix`): why it overlaps a route or an
   * address of the host's, as a real agent words it, or null. A simulated host has no network of its
   * own, so by default it uses nothing.
   */
  prefixOverlap?: (prefix: string, bridge: string) => string | null;
}

/**
 * A SIMULATED hypervisor host, for tests of the control plane only: no QEMU, no LXC, nothing on
 * this machine. It heartbeats on `agent.heartbeat.<hostId>` as an agent does and answers compute's
 * `agent.<hostId>.*` requests with the agent protocol (libs/contracts/agent.ts), keeping
 * its instances in memory. What it checks is compute's side: placement, states, tenancy, input.
 * The real agent is tested for real in apps/host-agent.
 */
export class SimulatedHost {
  readonly hostId: string;
  private readonly instances = new Map<string, AgentInstanceStatus>();
  /** The filter it enforces on each instance's port: the newest revision it was given. */
  private readonly filters = new Map<string, InstanceFilter>();
  /** The catalog images it imported, with the sha256 each was checked against: its region's image storage. */
  private readonly images = new Map<string, { sha256: string; image: ImportedImage }>();
  /** When its agent started, as its heartbeats say. */
  private agentStartedAt = new Date().toISOString();
  private timer: NodeJS.Timeout | undefined;
  private subscription: Subscription | undefined;
  /** Commands answered so far, by command name: what compute asked of this host. */
  readonly answered = new Map<string, number>();
  /** Heartbeats published so far. */
  heartbeats = 0;

  private constructor(
    private readonly nats: NatsConnection,
    private readonly options: Required<Omit<SimulatedHostOptions, 'credentials' | 'connection'>>,
    /** Whether the connection is its own, to close when it stops. */
    private readonly ownsConnection: boolean,
  ) {
    this.hostId = options.hostId;
  }

  static async start(options: SimulatedHostOptions): Promise<SimulatedHost> {
    const { connection, credentials, ...rest } = options;
    const nats = connection ?? (await connect({ servers: natsServers(options.natsUrl), name: `simulated-host-${options.hostId}`, ...credentialsOptions(credentials) }));
    const host = new SimulatedHost(nats, {
      regionId: 'local',
      kinds: ['VM', 'CONTAINER'],
      capacity: { vcpus: 64, memoryMb: 262_144, diskGb: 10_000 },
      heartbeatIntervalMs: 500,
      firstHeartbeatInMs: 0,
      commandDelayMs: 0,
      prefixOverlap: () => null,
      ...rest,
    }, connection === undefined);
    host.subscription = nats.subscribe(agentSubject(options.hostId, '>'), { callback: (_error, message) => void host.answer(message) });
    await nats.flush();
    const beatFromNowOn = () => {
      host.beat();
      host.timer = setInterval(() => host.beat(), host.options.heartbeatIntervalMs);
    };
    if (host.options.firstHeartbeatInMs > 0) host.timer = setTimeout(beatFromNowOn, host.options.firstHeartbeatInMs);
    else beatFromNowOn();
    return host;
  }

  /** What the host holds now: its instances as its heartbeat reports them. */
  list(): AgentInstanceStatus[] {
    return [...this.instances.values()];
  }

  /** The filter the host enforces on the instance's port, as it was last given one. */
  filterOf(instanceId: string): InstanceFilter | undefined {
    return this.filters.get(instanceId);
  }

  /** A new agent process on the host, as after an agent's restart: it holds what it held, and its next heartbeat says when it started. */
  restartAgent(): void {
    this.agentStartedAt = new Date(Math.max(Date.now(), Date.parse(this.agentStartedAt) + 1)).toISOString();
    this.beat();
  }

  /** Stops heartbeating and answering: the host is gone, as after a kill -9. */
  async stop(): Promise<void> {
    clearInterval(this.timer); // its first heartbeat's timeout too
    this.subscription?.unsubscribe();
    if (this.ownsConnection && !this.nats.isClosed()) await this.nats.close();
  }

  private beat(): void {
    // Its credentials revoked, NATS closed its connection: a host that can no longer speak stops beating.
    if (this.nats.isClosed()) {
      clearInterval(this.timer);
      return;
    }
    const allocated = { vcpus: 0, memoryMb: 0, diskGb: 0 };
    for (const i of this.instances.values()) {
      allocated.vcpus += i.vcpus;
      allocated.memoryMb += i.memoryMb;
      allocated.diskGb += i.diskGb;
    }
    const heartbeat: HostHeartbeat = {
      hostId: this.hostId, name: `${this.hostId} (simulated)`, regionId: this.options.regionId, kinds: this.options.kinds,
      capacity: this.options.capacity, allocated, instances: this.list(), fenceTimeoutMs: 6000, agentStartedAt: this.agentStartedAt,
      sentAt: new Date().toISOString(),
    };
    this.nats.publish(agentHeartbeatSubject(this.hostId), JSON.stringify(heartbeat));
    this.heartbeats++;
  }

  /** Nest's NATS request format: `{ pattern, data, id }` in, `{ id, response | err, isDisposed }` out. */
  private async answer(message: Msg): Promise<void> {
    const { data, id } = message.json<{ data: unknown; id: string }>();
    const command = message.subject.slice(`agent.${this.hostId}.`.length) as AgentCommand;
    const delayMs = typeof this.options.commandDelayMs === 'number' ? this.options.commandDelayMs : this.options.commandDelayMs(command);
    if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
    this.answered.set(command, (this.answered.get(command) ?? 0) + 1);
    try {
      const response = command === 'image.import' ? await this.importImage(data as ImageImportRequest) : this.carryOut(command, data as never);
      message.respond(JSON.stringify({ id, response, isDisposed: true }));
    } catch (error) {
      const err: WireError = error instanceof AppError ? error.toWire() : { code: 'NOT_FOUND', message: (error as Error).message };
      message.respond(JSON.stringify({ id, err, isDisposed: true }));
    }
  }

  private carryOut<C extends keyof AgentCommands>(command: C, request: AgentCommands[C]['request']): AgentCommands[C]['reply'] {
    const instanceId =
      'spec' in request ? (request.spec as InstanceSpec).instanceId
      : 'instanceId' in request ? (request as { instanceId: string }).instanceId
      : (request as { filter?: InstanceFilter }).filter?.instanceId ?? '';
    const known = this.instances.get(instanceId);
    // Create and start carry the instance's filter, as every command that makes it run does.
    const filter = 'filter' in request ? (request.filter as InstanceFilter | undefined) : undefined;
    if (filter && (known || command === 'instance.create')) this.hold(filter);
    const set = (changes: Partial<AgentInstanceStatus>) => {
      const next = { ...this.require(known, instanceId), ...changes };
      this.instances.set(instanceId, next);
      return next;
    };
    switch (command) {
      case 'instance.create': {
        const { spec, start } = request as AgentCommands['instance.create']['request'];
        const status: AgentInstanceStatus = {
          instanceId, kind: spec.kind, state: start ? 'RUNNING' : 'STOPPED', vcpus: spec.vcpus, memoryMb: spec.memoryMb, diskGb: spec.diskGb,
        };
        if (!known) this.instances.set(instanceId, status);
        return this.instances.get(instanceId)!;
      }
      case 'instance.start':
      case 'instance.reboot':
        return set({ state: 'RUNNING', fenced: false });
      case 'instance.stop':
        return set({ state: 'STOPPED' });
      case 'instance.resize': {
        const { vcpus, memoryMb, diskGb } = request as AgentCommands['instance.resize']['request'];
        return set({ vcpus, memoryMb, diskGb });
      }
      case 'instance.filter.set':
        this.require(known, instanceId);
        return { instanceId, revision: this.filters.get(instanceId)!.revision };
      case 'instance.delete':
        this.instances.delete(instanceId);
        this.filters.delete(instanceId);
        return { instanceId, kind: known?.kind ?? 'VM', state: 'MISSING', vcpus: 0, memoryMb: 0, diskGb: 0 };
      case 'instance.status':
        return known ?? { instanceId, kind: 'VM', state: 'MISSING', vcpus: 0, memoryMb: 0, diskGb: 0 };
      case 'snapshot.create':
        this.require(known, instanceId);
        return { snapshotId: (request as AgentCommands['snapshot.create']['request']).snapshotId, sizeMb: 1 };
      case 'snapshot.delete':
        return { snapshotId: (request as AgentCommands['snapshot.delete']['request']).snapshotId };
      case 'backup.create': {
        this.require(known, instanceId);
        const { backupId } = request as AgentCommands['backup.create']['request'];
        return { backupId, sizeMb: 1, sha256: createHash('sha256').update(backupId).digest('hex') };
      }
      case 'backup.delete':
        return { backupId: (request as AgentCommands['backup.delete']['request']).backupId };
      case 'health':
        return { service: 'host-agent', status: 'ok', checks: { nats: 'up' } };
      case 'network.checkPrefix': {
        const { prefix, bridge } = request as AgentCommands['network.checkPrefix']['request'];
        return { overlap: this.options.prefixOverlap(prefix, bridge) };
      }
      default:
        // Migration needs a second host sharing storage: simulated hosts share none.
        throw new Error(`simulated host ${this.hostId} does not ${command}`);
    }
  }

  /**
   * `image.import` as the agent answers it (apps/host-agent/src/images): the file is fetched for
   * real, from an http(s) URL on this machine only (a test serves it), and its sha256 checked; a
   * refusal is BAD_USER_INPUT naming why, in the agent's words. Its format is not inspected: a VM's
   * virtual size is a qcow2 header's, or else the file's own, as a raw disk's.
   */
  private async importImage({ imageId, kind, source, sha256 }: ImageImportRequest): Promise<ImportedImage> {
    const held = this.images.get(imageId);
    if (held) {
      if (held.sha256 === sha256) return held.image;
      throw AppError.conflict(`the image storage holds another file for image ${imageId}: register the new file under a new id`);
    }
    const refused = (reason: string) => new AppError('BAD_USER_INPUT', reason);
    const url = URL.canParse(source) ? new URL(source) : null;
    if (!url || !/^https?:$/.test(url.protocol)) throw refused(`unreachable: no file ${source} in the image storage`);
    if (!['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname)) throw refused(`unreachable: ${source} (a simulated host fetches only from this machine)`);
    const response = await fetch(url).catch((error: Error) => {
      throw refused(`unreachable: ${source} (${(error.cause as Error | undefined)?.message ?? error.message})`);
    });
    if (!response.ok) throw refused(`unreachable: ${source} answered HTTP ${response.status}`);
    const file = Buffer.from(await response.arrayBuffer());
    const actual = createHash('sha256').update(file).digest('hex');
    if (actual !== sha256) throw refused(`checksum mismatch: the file's sha256 is ${actual}, not ${sha256}`);
    const MIB = 1024 * 1024;
    const qcow2 = file.length >= 32 && file.readUInt32BE(0) === 0x514649fb; // "QFI\xfb"
    const image: ImportedImage = {
      imageId,
      location: `/var/lib/awan/images/catalog/${imageId}.${kind === 'VM' ? 'qcow2' : 'tar'}`,
      sizeMb: Math.ceil(file.length / MIB),
      virtualSizeMb: kind === 'VM' ? Math.ceil(Number(qcow2 ? file.readBigUInt64BE(24) : BigInt(file.length)) / MIB) : null,
    };
    this.images.set(imageId, { sha256, image });
    return image;
  }

  /** Only a newer revision replaces the one held, whatever order they come in. */
  private hold(filter: InstanceFilter): void {
    const held = this.filters.get(filter.instanceId);
    if (!held || filter.revision > held.revision) this.filters.set(filter.instanceId, filter);
  }

  private require(known: AgentInstanceStatus | undefined, instanceId: string): AgentInstanceStatus {
    if (!known) throw new Error(`instance ${instanceId} is not on simulated host ${this.hostId}`);
    return known;
  }
}
