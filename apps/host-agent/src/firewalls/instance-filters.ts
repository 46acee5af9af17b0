import { readFile } from 'node:fs/promises';
import type { InstanceFilter, InstanceSpec } from '#libs/contracts';
import { instancePort } from '../instances/host-network.js';
import { type InstanceFolders, writeAtomically } from '../instances/instance-folder.js';
import { macFor } from '../instances/instance-spec.js';
import { HostFirewall } from './host-firewall.js';
import { filterFromSpec, validFilter } from './instance-filter.js';
import { firewallTableName, type PortFilter } from './nft-ruleset.js';

/** The filter this host holds for an instance, in its runtime folder: enforced again at every start of the agent. */
const FILTER_FILE = 'filter.json';

/** Why an instance's rules were not written, as the agent's log and the check's answer name it. */
const failure = (instanceId: string, error: unknown) => `${instanceId} (${(error as Error).message})`;

/**
 * The filters of the instances this host runs: each kept in the instance's runtime folder (the
 * newest revision it was given) and enforced on its port by the host's firewall. Callers run one
 * instance's work at a time (the instance manager's turn).
 */
export class InstanceFilters {
  constructor(
    private readonly folders: InstanceFolders,
    readonly firewall: HostFirewall,
  ) {}

  /** The filter kept for the instance on this host, checked again as it is read; null where none was given. */
  async kept(instanceId: string): Promise<InstanceFilter | null> {
    const text = await readFile(await this.folders.runtimeFile(instanceId, FILTER_FILE), 'utf8').catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return null;
      throw error;
    });
    return text === null ? null : validFilter(JSON.parse(text), 'filter', instanceId);
  }

  /**
   * Enforces on the instance's port the newer of the filter kept and `offered` (validated: instance-filter.ts;
   * an older one changes nothing), and keeps it; without either, anti-spoofing on its spec's addresses. Answers
   * the filter held now. A kept filter that cannot be read (damaged on disk) gives way to one offered, which
   * replaces it: compute sends every filter again when the agent starts, so a damaged one heals then.
   */
  async enforce(spec: InstanceSpec, offered?: InstanceFilter): Promise<InstanceFilter> {
    const kept = await this.kept(spec.instanceId).catch((error: unknown) => {
      if (offered) return null;
      throw error;
    });
    const newer = offered && (!kept || offered.revision >= kept.revision);
    const filter = newer ? offered : (kept ?? filterFromSpec(spec));
    const port = this.portFilter(spec, filter);
    if (port) await this.firewall.enforce([port]);
    if (newer) await writeAtomically(await this.folders.runtimeFile(spec.instanceId, FILTER_FILE), JSON.stringify(filter));
    return filter;
  }

  /**
   * These instances' rules written again, each from its kept filter, in one transaction; should that
   * fail, one by one, so that one which cannot be written leaves the others' written. Answers those
   * written, and why each other was not.
   */
  async putBack(specs: InstanceSpec[]): Promise<{ restored: string[]; failed: string[] }> {
    const { ports, unread } = await this.keptPorts(specs);
    const failed = unread.map(({ instanceId, error }) => failure(instanceId, error));
    if (ports.length === 0 || (await this.firewall.enforce(ports).then(() => true, () => false))) {
      return { restored: ports.map((port) => port.filter.instanceId), failed };
    }
    const restored: string[] = [];
    for (const port of ports) {
      await this.firewall.enforce([port]).then(
        () => restored.push(port.filter.instanceId),
        (error: unknown) => failed.push(failure(port.filter.instanceId, error)),
      );
    }
    return { restored, failed };
  }

  /** The instance's rules leave this host (its kept filter goes with its runtime folder). */
  release(instanceId: string): Promise<void> {
    return this.firewall.remove([instanceId]);
  }

  /**
   * The agent's start: the rules of exactly these instances, each its kept filter, in one transaction.
   * One whose kept filter cannot be read keeps the rules in place (compute's next filter replaces it,
   * `enforce`), and is named in `failed`. Answers how many ports were written.
   */
  async enforceAll(specs: InstanceSpec[]): Promise<{ ports: number; failed: string[] }> {
    const { ports, unread } = await this.keptPorts(specs);
    await this.firewall.reconcile(ports, unread.map(({ instanceId }) => instanceId));
    return { ports: ports.length, failed: unread.map(({ instanceId, error }) => failure(instanceId, error)) };
  }

  /** The ports of those of these instances with a network, with their kept filters, and those whose kept filter cannot be read. */
  private async keptPorts(specs: InstanceSpec[]): Promise<{ ports: PortFilter[]; unread: { instanceId: string; error: unknown }[] }> {
    const networked = specs.filter((spec) => spec.network);
    const read = await Promise.allSettled(networked.map(async (spec) => this.portFilter(spec, (await this.kept(spec.instanceId)) ?? filterFromSpec(spec))!));
    return {
      ports: read.flatMap((port) => (port.status === 'fulfilled' ? [port.value] : [])),
      unread: read.flatMap((port, index) => (port.status === 'rejected' ? [{ instanceId: networked[index].instanceId, error: port.reason }] : [])),
    };
  }

  private portFilter(spec: InstanceSpec, filter: InstanceFilter): PortFilter | null {
    if (!spec.network) return null;
    return { port: instancePort(this.folders.hostId, spec), mac: spec.network.mac ?? macFor(spec.instanceId), filter };
  }
}

/** The filters of the instances in `folders`, in the agent's own tables. */
export function instanceFiltersFor(folders: InstanceFolders): InstanceFilters {
  return new InstanceFilters(folders, new HostFirewall(firewallTableName(folders.hostId)));
}
