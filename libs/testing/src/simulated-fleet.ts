import { connect, type NatsConnection } from '@nats-io/transport-node';
import type { AgentCommand, HostCapacity, InstanceKind } from '#libs/contracts';
import { natsServers } from '#libs/messaging';
import { credentialsOptions } from '#libs/nats-auth';
import { SimulatedHost } from './simulated-host.js';

export interface SimulatedFleetOptions {
  natsUrl: string;
  /** How many hosts, named `<prefix><n>` (n from 1, four digits at least). */
  count: number;
  hostIdPrefix: string;
  /** NATS credentials allowed to speak for every host of the fleet, where NATS authenticates. */
  credentials?: string;
  regionId?: string;
  kinds?: InstanceKind[];
  capacity?: HostCapacity;
  /** Each host's interval; their first heartbeats are spread evenly over it. */
  heartbeatIntervalMs?: number;
  /** How long a command takes on a host before it is answered: by command, asked for each. */
  commandDelayMs?: (command: AgentCommand) => number;
}

/**
 * Roughly what a real host takes per command (bench:provision measured an LXC container's start at
 * about 110 ms and a QEMU's at 75 ms on this kind of machine), each varied by ±25 %.
 */
export function plausibleAgentDelayMs(command: AgentCommand): number {
  const typical: Partial<Record<AgentCommand, number>> = {
    'instance.create': 120, 'instance.start': 80, 'instance.stop': 60, 'instance.reboot': 120, 'instance.delete': 50,
    'instance.resize': 40, 'instance.filter.set': 10, 'instance.status': 2, health: 1, 'network.checkPrefix': 5,
  };
  const ms = typical[command] ?? 50;
  return Math.round(ms * (0.75 + Math.random() * 0.5));
}

/**
 * A SIMULATED fleet of hypervisor hosts, for benchmarks of the control plane only: `count`
 * SimulatedHosts on one NATS connection of one process, each heartbeating on
 * `agent.heartbeat.<hostId>` and answering `agent.<hostId>.>` with the agent protocol after a
 * plausible delay. Nothing runs on this machine; it is what lets compute be measured with a thousand
 * hosts it cannot tell from real ones.
 */
export class SimulatedFleet {
  private constructor(
    private readonly nats: NatsConnection,
    readonly hosts: SimulatedHost[],
  ) {}

  static async start(options: SimulatedFleetOptions): Promise<SimulatedFleet> {
    const nats = await connect({ servers: natsServers(options.natsUrl), name: `simulated-fleet-${options.hostIdPrefix}`, ...credentialsOptions(options.credentials) });
    const interval = options.heartbeatIntervalMs ?? 2000;
    const hosts: SimulatedHost[] = [];
    try {
      for (let n = 1; n <= options.count; n++) {
        hosts.push(await SimulatedHost.start({
          hostId: `${options.hostIdPrefix}${String(n).padStart(4, '0')}`,
          natsUrl: options.natsUrl,
          connection: nats,
          heartbeatIntervalMs: interval,
          firstHeartbeatInMs: 1 + Math.floor(((n - 1) * interval) / options.count),
          commandDelayMs: options.commandDelayMs ?? plausibleAgentDelayMs,
          ...(options.regionId ? { regionId: options.regionId } : {}),
          ...(options.kinds ? { kinds: options.kinds } : {}),
          ...(options.capacity ? { capacity: options.capacity } : {}),
        }));
      }
    } catch (error) {
      await Promise.all(hosts.map((host) => host.stop()));
      await nats.close();
      throw error;
    }
    return new SimulatedFleet(nats, hosts);
  }

  /** Heartbeats the fleet has published so far. */
  heartbeats(): number {
    return this.hosts.reduce((sum, host) => sum + host.heartbeats, 0);
  }

  /** Commands answered so far, by command name, over the whole fleet. */
  answered(): Record<string, number> {
    const all: Record<string, number> = {};
    for (const host of this.hosts) for (const [command, n] of host.answered) all[command] = (all[command] ?? 0) + n;
    return all;
  }

  /** Instances the fleet holds. */
  instances(): number {
    return this.hosts.reduce((sum, host) => sum + host.list().length, 0);
  }

  async stop(): Promise<void> {
    await Promise.all(this.hosts.map((host) => host.stop()));
    await this.nats.close();
  }
}
