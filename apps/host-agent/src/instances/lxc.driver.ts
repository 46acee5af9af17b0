import { hash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { AppError, type InstanceSpec } from '#libs/contracts';
import { CONSOLE_LOG_LIMIT_BYTES } from '../consoles/console-logs.js';
import { killed, processStat, runProgram, sendKill } from '../host/program.js';
import { buildOnce } from '../images/built-once.js';
import { replaceTree } from '../snapshots/lxc-snapshots.js';
import { allowContainerIds, copyAsContainerOwned, ID_MAP_CONFIG, letContainerReach, ownedByContainer } from './container-ids.js';
import type { Fenceable, InstanceDriver, Resize } from './instance-driver.js';
import type { InstanceFolders } from './instance-folder.js';
import { lxcArgs } from './lxc-freeze.js';
import { vethName } from './host-network.js';
import { macFor } from './instance-spec.js';

const CPU_PERIOD_US = 100_000;

/** The plan's memory and CPU as cgroup settings: v2 (unified) or v1 names. */
function cgroupLimits(unified: boolean, plan: { memoryMb: number; vcpus: number }): [string, string][] {
  const bytes = String(plan.memoryMb * 1024 * 1024);
  const quota = plan.vcpus * CPU_PERIOD_US;
  return unified
    ? [['memory.max', bytes], ['cpu.max', `${quota} ${CPU_PERIOD_US}`]]
    : [['memory.limit_in_bytes', bytes], ['cpu.cfs_period_us', String(CPU_PERIOD_US)], ['cpu.cfs_quota_us', String(quota)]];
}

/**
 * The containers running under the LXC path `root`, each with its monitor's children (its init, and
 * any helper LXC runs beside it), from the process table alone: LXC titles each container's monitor
 * `[lxc monitor] <path> <name>`. Nothing under `root` is read.
 */
async function containerProcesses(root: string): Promise<Map<string, number[]>> {
  const pids = (await readdir('/proc')).filter((entry) => /^\d+$/.test(entry)).map(Number);
  // A process that ended meanwhile reads as nothing.
  const processes = await Promise.all(pids.map(async (pid) => {
    const [cmdline, stat] = await Promise.all([readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => ''), processStat(pid)]);
    return { pid, title: cmdline.replace(/\0+$/, '').replace(/\0/g, ' '), parent: Number(stat?.[1]) };
  }));
  const prefix = `[lxc monitor] ${root} `;
  const monitors = new Map(processes.filter((p) => p.title.startsWith(prefix)).map((p) => [p.pid, p.title.slice(prefix.length)]));
  const children = new Map<string, number[]>();
  for (const { pid, parent } of processes) {
    const name = monitors.get(parent);
    if (name !== undefined) children.set(name, [...(children.get(name) ?? []), pid]);
  }
  return children;
}

/**
 * Kills a container's processes: its init's end ends every process of its PID namespace. A frozen
 * container (a snapshot's copy under way) takes no signal until it is thawed: so it is thawed once the
 * signal is sent, and dies without running on. Its freezer is found from the processes' own cgroups, in /proc.
 */
async function killContainer(instanceId: string, pids: number[]): Promise<void> {
  const signalled = pids.filter(sendKill);
  const cgroups = (await Promise.all(signalled.map((pid) => readFile(`/proc/${pid}/cgroup`, 'utf8').catch(() => '')))).join('\n');
  const thawed = new Set<string>();
  for (const line of cgroups.split('\n')) {
    // "0::/lxc.payload.<id>/…" (cgroup v2), "4:freezer:/lxc.payload.<id>/…" (v1): the container's own is its payload's.
    const [, controllers, where] = /^\d+:([^:]*):(\/.*)$/.exec(line) ?? [];
    const own = where?.split('/').indexOf(`lxc.payload.${instanceId}`) ?? -1;
    if (own < 0) continue;
    const cgroup = where.split('/').slice(0, own + 1).join('/');
    const file = controllers === '' ? `/sys/fs/cgroup${cgroup}/cgroup.freeze` : controllers.split(',').includes('freezer') ? `/sys/fs/cgroup/freezer${cgroup}/freezer.state` : null;
    if (file === null || thawed.has(file)) continue;
    thawed.add(file);
    await writeFile(file, controllers === '' ? '0' : 'THAWED').catch(() => undefined);
  }
  await Promise.all(signalled.map((pid) => killed(pid)));
}

/**
 * LXC containers through the lxc-* tools. The agent's instances folder is the LXC path, so
 * a container's config and rootfs sit beside its spec. Containers are unprivileged: their ids
 * are mapped to the host's 100000 and up (container-ids.ts), their rootfs owned accordingly.
 * Memory and CPU are cgroup limits, changed live on resize. The rootfs is a plain folder: its
 * disk size is not enforced.
 */
export class LxcDriver implements InstanceDriver {
  private readonly unified = existsSync('/sys/fs/cgroup/cgroup.controllers');
  /** The host's leave for root to map the containers' ids, checked once. */
  private idsAllowed: Promise<void> | null = null;

  constructor(private readonly folders: InstanceFolders) {}

  private lxc(spec: InstanceSpec): string[] {
    return lxcArgs(this.folders.root, spec.instanceId);
  }

  /** `mapped`: with the containers' id mapping (all but lxc-create's, whose template writes a rootfs as the host's root). */
  private config(spec: InstanceSpec, mapped = true): string {
    const dir = this.folders.dir(spec.instanceId);
    const prefix = this.unified ? 'lxc.cgroup2' : 'lxc.cgroup';
    const net = spec.network;
    const network = net
      ? [
          'lxc.net.0.type = veth',
          // A fixed host-side name: the host's firewall rules for the container key on it (firewalls/).
          `lxc.net.0.veth.pair = ${vethName(this.folders.hostId, spec.instanceId)}`,
          `lxc.net.0.link = ${net.bridge}`,
          'lxc.net.0.flags = up',
          `lxc.net.0.hwaddr = ${net.mac ?? macFor(spec.instanceId)}`,
          ...(net.ipv4 ? [`lxc.net.0.ipv4.address = ${net.ipv4}`] : []),
          ...(net.gateway4 ? [`lxc.net.0.ipv4.gateway = ${net.gateway4}`] : []),
          ...(net.ipv6 ? [`lxc.net.0.ipv6.address = ${net.ipv6}`] : []),
          ...(net.gateway6 ? [`lxc.net.0.ipv6.gateway = ${net.gateway6}`] : []),
        ]
      : ['lxc.net.0.type = empty'];
    // Every value here was validated (validateSpec): no line can smuggle in another.
    return [
      `lxc.uts.name = ${spec.name}`,
      `lxc.rootfs.path = dir:${dir}/rootfs`,
      ...(mapped ? ID_MAP_CONFIG : []),
      'lxc.autodev = 1',
      'lxc.mount.auto = cgroup:mixed proc:mixed sys:mixed',
      'lxc.tty.max = 1',
      'lxc.pty.max = 16',
      `lxc.console.logfile = ${dir}/console.log`,
      // Bounded as a VM's is (ConsoleLogs): at the limit LXC moves it to console.log.1 and starts it again.
      `lxc.console.size = ${CONSOLE_LOG_LIMIT_BYTES / 1024}KB`,
      'lxc.console.rotate = 1',
      'lxc.cap.drop = sys_module mac_admin mac_override sys_time',
      'lxc.apparmor.profile = generated',
      'lxc.apparmor.allow_nesting = 0',
      ...cgroupLimits(this.unified, spec).map(([key, value]) => `${prefix}.${key} = ${value}`),
      ...network,
      '',
    ].join('\n');
  }

  async create(spec: InstanceSpec): Promise<void> {
    const dir = this.folders.dir(spec.instanceId);
    if (existsSync(`${dir}/config`)) return;
    const template = spec.image.location.startsWith('template:') ? spec.image.location.slice('template:'.length) : null;
    if (!template && !existsSync(spec.image.location)) {
      throw AppError.badInput('spec.image.location', `no image at ${spec.image.location} on this host`);
    }
    if (template) await this.createFromTemplate(spec, template);
    else {
      // What a crash left of an earlier try goes first: the copy is the image's, whole.
      await rm(`${dir}/rootfs`, { recursive: true, force: true });
      await runProgram('cp', ['-a', '--reflink=auto', '-T', await this.unpacked(spec.image.location), `${dir}/rootfs`], { timeoutMs: 600_000 });
    }
    // Written last, so a container is made once its config is there. A rootfs from a tarball needs no lxc-create:
    // all it would do is write a config, and ours replaces it (one program run less a create, 15 to 40 ms).
    await writeFile(`${dir}/config`, this.config(spec), { mode: 0o600 });
  }

  /**
   * The image's tarball unpacked once on the image storage, owned as the containers' own files
   * are, which each container's rootfs is copied from (cloned, where the file system shares blocks):
   * a create no longer unpacks, nor decompresses, the whole image. Keyed by the tarball's path, size
   * and time: a stored image is never replaced, and a file put in its place by hand is unpacked anew.
   */
  private async unpacked(tarball: string): Promise<string> {
    const { size, mtimeMs } = await stat(tarball);
    const key = hash('sha256', `${tarball}\u0000${size}\u0000${mtimeMs}`, 'hex').slice(0, 32);
    const unpacked = path.join(this.folders.images, 'unpacked', key);
    return buildOnce(`${unpacked}-mapped`, async (partial) => {
      await this.allowIds();
      // As the host's root (tar finds out the compression only from a file), then copied as the containers' root.
      const asHost = `${partial}.host`;
      await mkdir(asHost, { recursive: true });
      try {
        await runProgram('tar', ['-xpf', tarball, '-C', asHost, '--numeric-owner'], { timeoutMs: 600_000 });
        await copyAsContainerOwned(asHost, partial);
      } finally {
        await rm(asHost, { recursive: true, force: true });
      }
      await rm(unpacked, { recursive: true, force: true }); // the host-owned tree an older agent kept
    });
  }

  private allowIds(): Promise<void> {
    this.idsAllowed ??= allowContainerIds().catch((error: unknown) => {
      this.idsAllowed = null;
      throw error;
    });
    return this.idsAllowed;
  }

  /**
   * What an unprivileged start needs: the ids allowed, the folders above the rootfs passable by the
   * container's root, and the rootfs its own. One made before containers were unprivileged, by an
   * LXC template, or restored from a snapshot or backup of such a one is owned by the host's ids:
   * it is copied to the container's ids once, while the container is stopped.
   */
  private async prepareStart(spec: InstanceSpec): Promise<void> {
    await this.allowIds();
    const dir = this.folders.dir(spec.instanceId);
    await letContainerReach(dir);
    const rootfs = `${dir}/rootfs`;
    if ((await ownedByContainer(rootfs)) || (await this.state(spec)) === 'RUNNING') return;
    await replaceTree(rootfs, (incoming) => copyAsContainerOwned(rootfs, incoming));
  }

  /** A rootfs made by an LXC template, through lxc-create. */
  private async createFromTemplate(spec: InstanceSpec, template: string): Promise<void> {
    const configFile = `${this.folders.dir(spec.instanceId)}/lxc-create.conf`;
    await writeFile(configFile, this.config(spec, false), { mode: 0o600 });
    try {
      await runProgram('lxc-create', [...this.lxc(spec), '-t', template, '-f', configFile], { timeoutMs: 300_000 });
    } finally {
      await rm(configFile, { force: true });
    }
  }

  async state(spec: InstanceSpec): Promise<'RUNNING' | 'STOPPED'> {
    if (!existsSync(`${this.folders.dir(spec.instanceId)}/config`)) return 'STOPPED';
    const state = (await runProgram('lxc-info', [...this.lxc(spec), '-s', '-H'])).trim();
    // Frozen (while a snapshot copies its rootfs) is paused, not stopped.
    return state === 'RUNNING' || state === 'STARTING' || state === 'FROZEN' || state === 'FREEZING' ? 'RUNNING' : 'STOPPED';
  }

  /**
   * These containers' states with one `lxc-ls` for them all, where a heartbeat ran an `lxc-info` for each
   * every interval: for twenty containers, 3.4 ms of CPU against 36.
   */
  async states(specs: InstanceSpec[]): Promise<Map<string, 'RUNNING' | 'STOPPED'>> {
    // Active is running, frozen (while a snapshot copies its rootfs), or on its way up or down: a container
    // stopping counts as running until it has stopped, which is what a heartbeat needs.
    const active = new Set((await runProgram('lxc-ls', ['-P', this.folders.root, '--active', '-1'])).split('\n').map((line) => line.trim()));
    return new Map(specs.map((spec) => [spec.instanceId, active.has(spec.instanceId) ? 'RUNNING' : 'STOPPED']));
  }

  /**
   * Every container running under this host's LXC path, by LXC's monitor processes: its init killed,
   * which ends every process of its PID namespace.
   */
  async fenceable(): Promise<Fenceable[]> {
    return [...(await containerProcesses(this.folders.root))].map(([instanceId, pids]) => ({ instanceId, kill: () => killContainer(instanceId, pids) }));
  }

  async start(spec: InstanceSpec): Promise<void> {
    await this.prepareStart(spec);
    // Written again: a container made by an older agent, or on another host, starts with this host's veth name
    // (LXC reads it as a container starts, so one running already is left as it is).
    await writeFile(`${this.folders.dir(spec.instanceId)}/config`, this.config(spec), { mode: 0o600 });
    // Started without asking its state first: lxc-start leaves a running container be and succeeds; should a version refuse, its state decides.
    await runProgram('lxc-start', this.lxc(spec), { timeoutMs: 60_000 }).catch(async (error: Error) => {
      if ((await this.state(spec)) !== 'RUNNING') throw error;
    });
    await runProgram('lxc-wait', [...this.lxc(spec), '-s', 'RUNNING', '-t', '30']);
  }

  async stop(spec: InstanceSpec, options: { force: boolean; timeoutMs: number }): Promise<void> {
    if ((await this.state(spec)) === 'STOPPED') return;
    const args = options.force ? ['-k'] : ['-t', String(Math.max(1, Math.ceil(options.timeoutMs / 1000)))];
    // lxc-stop sends the halt signal, waits, then kills: the graceful-then-forced stop in one call.
    await runProgram('lxc-stop', [...this.lxc(spec), ...args], { timeoutMs: options.timeoutMs + 30_000 });
  }

  /** `lxc-stop -k`: killed, with no halt signal first. */
  kill(spec: InstanceSpec): Promise<void> {
    return this.stop(spec, { force: true, timeoutMs: 0 });
  }

  async reboot(spec: InstanceSpec): Promise<void> {
    await this.stop(spec, { force: false, timeoutMs: 30_000 });
    await this.start(spec);
  }

  /** Limits change live, either way: a container never restarts for a resize. */
  async resize(spec: InstanceSpec, to: Resize): Promise<{ restart: boolean }> {
    const next = { ...spec, ...to };
    await writeFile(`${this.folders.dir(spec.instanceId)}/config`, this.config(next), { mode: 0o600 });
    if ((await this.state(spec)) === 'RUNNING') {
      // cgroup v1 refuses a memory limit below current usage; the error reaches the caller.
      for (const [key, value] of cgroupLimits(this.unified, to)) await runProgram('lxc-cgroup', [...this.lxc(spec), key, value]);
    }
    return { restart: false };
  }

  async destroy(spec: InstanceSpec): Promise<void> {
    if (!existsSync(`${this.folders.dir(spec.instanceId)}/config`)) return;
    await this.stop(spec, { force: true, timeoutMs: 0 });
    await runProgram('lxc-destroy', this.lxc(spec), { timeoutMs: 120_000 });
  }
}
