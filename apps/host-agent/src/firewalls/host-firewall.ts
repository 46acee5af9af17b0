import { readFile } from 'node:fs/promises';
import { AppError } from '#libs/contracts';
import { ProgramError, runProgram } from '../host/program.js';
import { type FirewallTable, type PortFilter, type PortRemoval, type ReplyMatch, instanceOfChain, renderRuleset, renderTablesRemoval } from './nft-ruleset.js';

const NFT_TIMEOUT_MS = 60_000;
const BR_NETFILTER = ['/proc/sys/net/bridge/bridge-nf-call-iptables', '/proc/sys/net/bridge/bridge-nf-call-ip6tables'];

/**
 * This host's nftables rules for its instances' ports, in the agent's own tables (nft-ruleset.ts).
 * Every change is one `nft -f` transaction, and changes run one at a time, so what a change reads
 * of the tables is still so when it writes. Nothing here ever empties a table that holds another
 * instance's rules: they stay through the agent's restarts, even a kill -9.
 */
export class HostFirewall {
  private turn: Promise<unknown> = Promise.resolve();
  private replies: Promise<{ match: ReplyMatch | null; problem: string | null }> | undefined;
  private problem: string | null = null;
  /** Whether this process wrote the tables' shared part (tables, maps, shared and hooked chains), no table removal since. */
  private tablesWritten = false;

  constructor(readonly tableName: string) {}

  /** Writes these ports' rules anew. */
  enforce(ports: PortFilter[]): Promise<void> {
    return this.inTurn(() => this.write(ports));
  }

  /** Takes these instances' rules away; the tables too once no instance is left in them. */
  remove(instanceIds: string[]): Promise<void> {
    return this.inTurn(async () => {
      const held = await this.heldPorts();
      const removals = instanceIds.flatMap((instanceId) => (held.has(instanceId) ? [{ instanceId, port: held.get(instanceId)! }] : []));
      if (removals.length === 0) return;
      if (removals.length === held.size) return this.removeTables();
      return this.write([], removals);
    });
  }

  /**
   * Makes the tables hold exactly these ports' rules (the agent's start): theirs written anew, any
   * other instance's taken away, in one transaction, without a moment where a port goes unfiltered.
   * The rules of the instances in `untouched` stay as they are.
   */
  reconcile(ports: PortFilter[], untouched: readonly string[] = []): Promise<void> {
    return this.inTurn(async () => {
      const wanted = new Set([...ports.map((port) => port.filter.instanceId), ...untouched]);
      const held = await this.heldPorts();
      const stale = [...held].filter(([instanceId]) => !wanted.has(instanceId)).map(([instanceId, port]) => ({ instanceId, port }));
      if (ports.length === 0 && stale.length === held.size) return held.size > 0 ? this.removeTables() : undefined;
      return this.write(ports, stale, { whole: true });
    });
  }

  /**
   * Writes these ports' chains anew and takes `removals`' away, in one transaction. The tables' shared
   * part goes with them only where this process has not written it yet, or `whole` (the agent's start):
   * writing its hooked chains again has the kernel check every instance's chains again, which made a
   * new instance's `nft` take 7 ms on a host of one instance, 18 ms on one of sixty, against 4 without.
   * Should a load without it fail (the tables removed by hand), it is done again with it.
   */
  private async write(ports: PortFilter[], removals: PortRemoval[] = [], { whole = false } = {}): Promise<void> {
    const target = await this.target(ports);
    if (this.tablesWritten && !whole) {
      const loaded = await this.load(renderRuleset({ ...target, inPlace: true }, ports, removals)).then(() => true, () => false);
      if (loaded) return;
    }
    this.tablesWritten = false;
    await this.load(renderRuleset(target, ports, removals));
    this.tablesWritten = true;
  }

  private async removeTables(): Promise<void> {
    this.tablesWritten = false;
    await this.load(renderTablesRemoval(this.tableName));
  }

  /** The instances whose rules are in the tables now, and their ports. */
  async heldPorts(): Promise<Map<string, string>> {
    let listed: string;
    try {
      listed = await runProgram('nft', ['-j', 'list', 'map', 'bridge', this.tableName, 'spoof'], { timeoutMs: NFT_TIMEOUT_MS });
    } catch (error) {
      if (error instanceof ProgramError && /No such file or directory/.test(error.stderr)) return new Map();
      throw error;
    }
    const held = new Map<string, string>();
    for (const item of (JSON.parse(listed) as { nftables: { map?: { elem?: [string, { jump?: { target: string } }][] } }[] }).nftables) {
      for (const [port, verdict] of item.map?.elem ?? []) {
        const instanceId = instanceOfChain(verdict.jump?.target ?? '');
        if (instanceId) held.set(instanceId, port);
      }
    }
    return held;
  }

  /** Why this host enforces no firewalls (anti-spoofing only), for the agent's health; none where it does. */
  problems(): string[] {
    return this.problem ? [this.problem] : [];
  }

  /** How this host's rules tell replies apart (nft-ruleset.ts), probed once. */
  async replyMatch(): Promise<ReplyMatch | null> {
    const { match, problem } = await (this.replies ??= this.probeReplies());
    this.problem = problem;
    return match;
  }

  private async target(ports: PortFilter[]): Promise<FirewallTable> {
    const replies = await this.replyMatch();
    if (!replies && this.problem && ports.some((port) => port.filter.firewall)) throw AppError.conflict(this.problem);
    return { name: this.tableName, replies };
  }

  /**
   * How this kernel tells replies apart for bridged traffic: its bridge conntrack (nft loads
   * nf_conntrack_bridge for a `ct` rule in the bridge family, and `nft -c` checks it without
   * committing anything), else br_netfilter's passage of bridged IP traffic through the inet hooks.
   */
  private async probeReplies(): Promise<{ match: ReplyMatch | null; problem: string | null }> {
    const probe = `${this.tableName}-probe`;
    const conntrack = await this.load(`add table bridge ${probe}\nadd chain bridge ${probe} probe\nadd rule bridge ${probe} probe ct state established accept\n`, true).then(
      () => true,
      () => false,
    );
    if (conntrack) return { match: 'conntrack', problem: null };
    const brNetfilter = await Promise.all(BR_NETFILTER.map((file) => readFile(file, 'utf8').then((value) => value.trim() === '1', () => false)));
    if (brNetfilter.every(Boolean)) return { match: 'mark', problem: null };
    return {
      match: null,
      problem:
        'this host cannot enforce firewalls, only anti-spoofing: its kernel tracks no bridged connections ' +
        '(load nf_conntrack_bridge, or br_netfilter with net.bridge.bridge-nf-call-iptables=1 and bridge-nf-call-ip6tables=1)',
    };
  }

  /** Loads a ruleset whole (`check`: only checks it), given to `nft` on its standard input: no file to write and remove. */
  private async load(ruleset: string, check = false): Promise<void> {
    await runProgram('nft', [...(check ? ['-c'] : []), '-f', '-'], { input: ruleset, timeoutMs: NFT_TIMEOUT_MS });
  }

  private inTurn<T>(work: () => Promise<T>): Promise<T> {
    const next = this.turn.catch(() => undefined).then(work);
    this.turn = next;
    return next;
  }
}
