import { hash, randomBytes } from 'node:crypto';
import { constants, existsSync } from 'node:fs';
import { copyFile, mkdir, open, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { createServer, isIP } from 'node:net';
import path from 'node:path';
import { AppError, type InstanceSpec, type MigrationTarget } from '#libs/contracts';
import { machineSize } from '../host/host-probe.js';
import { killProcess, processGone, runProgram } from '../host/program.js';
import { buildOnce } from '../images/built-once.js';
import { buildNoCloudSeed } from './cloud-init-seed.js';
import type { Fenceable, InstanceDriver, Resize } from './instance-driver.js';
import { allDone, waitUntil } from './instance-driver.js';
import { writeAtomically, type InstanceFolders } from './instance-folder.js';
import { macFor } from './instance-spec.js';
import { growthTo, machineArgs, machineFor, machineWithoutRoom, parseMachine, type Dimm, type HotPluggedCpu, type QemuMachine } from './qemu-machine.js';
import { qmp } from '#libs/qmp';
import { ensureTap, removeTap, tapName } from './host-network.js';

export interface QemuOptions {
  folders: InstanceFolders;
  /** `kvm` where /dev/kvm works; `tcg` boots any guest, slowly (and is the only one that boots Linux under nested KVM here). */
  accelerator: 'kvm' | 'tcg';
  binary?: string;
  /** What bounds a VM's room to grow in place; this machine's processors and memory by default. */
  host?: { vcpus: number; memoryMb: number };
}

/** A running VM's console sockets in this host's runtime folder: its serial port, and its display (VNC). */
export type QemuConsoleSocket = 'serial.sock' | 'vnc.sock';

const MiB = 1024 ** 2;
const GiB = 1024 ** 3;
/** The VM's record of its QEMU machine (qemu-machine.ts), in its folder: a migration's target reads it. */
const MACHINE_FILE = 'qemu-machine.json';
/** The TLS credentials (pre-shared key) of a live migration, in both QEMUs, and the name QEMU gives the key's holder. */
const MIGRATION_CREDENTIALS = 'migration0';
const MIGRATION_KEY_USER = 'qemu';
/**
 * How long a VM's QEMU has to tell its status (a guest powered off, or not): every heartbeat asks,
 * and one QEMU that does not answer (stuck in I/O) must not hold the heartbeat, whose contact keeps
 * the fencing watchdog quiet, for long. Unanswered, the VM counts as running, as its process is there.
 */
const STATUS_TIMEOUT_MS = 1000;

interface MemoryDevice {
  type: string;
  data: { id?: string; memdev: string; size: number; slot: number; addr: number };
}
interface HotpluggableCpu {
  type: string;
  props: Record<string, number>;
  'qom-path'?: string;
}

/**
 * One `qemu-system-x86_64` per VM, daemonized so it outlives the agent, driven over QMP.
 * An image is a qcow2 (the VM boots from an overlay on it) or a folder with `vmlinuz` and
 * `initrd.img` (direct kernel boot onto a blank disk). A VM starts with room to grow (see
 * `machineFor`): a resize hot-plugs DIMMs and vCPUs into the running QEMU and grows its disk.
 */
export class QemuDriver implements InstanceDriver {
  private readonly host: { vcpus: number; memoryMb: number };

  constructor(private readonly options: QemuOptions) {
    this.host = options.host ?? machineSize();
  }

  private file(spec: InstanceSpec, name: string) {
    return this.options.folders.file(spec.instanceId, name);
  }

  private async kernelBoot(spec: InstanceSpec): Promise<boolean> {
    return (await stat(spec.image.location)).isDirectory();
  }

  async create(spec: InstanceSpec): Promise<void> {
    const image = await stat(spec.image.location).catch(() => null);
    if (!image) throw AppError.badInput('spec.image.location', `no image at ${spec.image.location} on this host`);
    const disk = this.file(spec, 'disk.qcow2');
    const seed = this.file(spec, 'seed.iso');
    // Each is written whole or not at all: a create cut short is made again, and one made leaves a running VM's files be.
    // Apart from each other, so made at once.
    await allDone([
      existsSync(disk) ? undefined : this.newDisk(disk, image.isDirectory() ? null : spec.image.location, spec.diskGb),
      existsSync(seed) ? undefined : buildNoCloudSeed(spec, `${seed}.partial`).then(() => rename(`${seed}.partial`, seed)),
    ]);
  }

  /**
   * A new disk, empty over its image (`backing`) where it has one: a copy of one qemu-img made once for
   * that image and size, which is the same file qemu-img would write for this disk (a header naming the
   * image and the size, nothing of the disk's own). Running qemu-img was the dearest part of a VM's
   * preparation on a busy host (20 to 70 ms, beside its seed, filter and tap), a copy of 200 KB is not.
   */
  private async newDisk(disk: string, backing: string | null, diskGb: number): Promise<void> {
    const size = `${diskGb}G`;
    const template = path.join(this.options.folders.images, 'empty-disks', `${backing ? hash('sha256', backing, 'hex').slice(0, 32) : 'none'}-${size}.qcow2`);
    await buildOnce(template, async (partial) => {
      await runProgram('qemu-img', ['create', '-q', '-f', 'qcow2', ...(backing ? ['-b', backing, '-F', 'qcow2'] : []), partial, size]);
    });
    // A clone where the file system shares blocks, else a copy.
    await copyFile(template, `${disk}.partial`, constants.COPYFILE_FICLONE);
    await rename(`${disk}.partial`, disk);
  }

  /** This host's runtime file of the VM: two hosts sharing its folder never share these. */
  private runtime(spec: Pick<InstanceSpec, 'instanceId'>, name: 'qemu.pid' | 'qmp.sock' | 'incoming.uri' | 'migration-key' | QemuConsoleSocket): Promise<string> {
    return this.options.folders.runtimeFile(spec.instanceId, name);
  }

  private tap(spec: Pick<InstanceSpec, 'instanceId'>): string {
    return tapName(this.options.folders.hostId, spec.instanceId);
  }

  /** The pid of this VM's QEMU on this host, if it runs: the pidfile's process must name that pidfile (pids get reused). */
  async pid(spec: Pick<InstanceSpec, 'instanceId'>): Promise<number | null> {
    const pidFile = await this.runtime(spec, 'qemu.pid');
    const pid = Number((await readFile(pidFile, 'utf8').catch(() => '')).trim());
    if (!pid) return null;
    const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
    return cmdline.split('\0').includes(pidFile) ? pid : null;
  }

  async state(spec: InstanceSpec): Promise<'RUNNING' | 'STOPPED'> {
    if (!(await this.pid(spec))) return 'STOPPED';
    // -no-shutdown keeps QEMU alive after the guest powers off: that is a stopped VM.
    const status = await qmp<{ status: string }>(await this.runtime(spec, 'qmp.sock'), 'query-status', undefined, STATUS_TIMEOUT_MS).catch(() => null);
    if (status?.status === 'shutdown') {
      await this.quit(spec);
      return 'STOPPED';
    }
    return 'RUNNING';
  }

  /** Every QEMU this host runs, by the pidfiles of its own runtime folder. */
  async fenceable(): Promise<Fenceable[]> {
    const instanceIds = await this.options.folders.runtimeIds();
    const pids = await Promise.all(instanceIds.map((instanceId) => this.pid({ instanceId })));
    return instanceIds.flatMap((instanceId, index) => {
      const pid = pids[index];
      return pid === null ? [] : [{ instanceId, kill: () => this.killed(pid, instanceId) }];
    });
  }

  async start(spec: InstanceSpec): Promise<void> {
    if (await this.pid(spec)) return;
    await this.growDisk(spec);
    // Recorded before QEMU starts, so that no QEMU runs with a machine other than its record.
    const machine = machineFor(spec, this.host);
    await this.recordMachine(spec, machine);
    await this.launch(spec, machine);
  }

  /** The machine the VM's QEMU runs as; one an older agent started has no record, and no room. */
  private async machine(spec: InstanceSpec): Promise<QemuMachine> {
    const text = await readFile(this.file(spec, MACHINE_FILE), 'utf8').catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return null;
      throw error;
    });
    return text === null ? machineWithoutRoom(spec) : parseMachine(text);
  }

  private async recordMachine(spec: InstanceSpec, machine: QemuMachine): Promise<void> {
    await writeAtomically(this.file(spec, MACHINE_FILE), JSON.stringify(machine, null, 2));
  }

  /**
   * Starts QEMU for the VM as `machine`; with `incoming`, one that waits for a live migration's state
   * at its URI, taken only over TLS with its key (from the key's folder).
   */
  private async launch(spec: InstanceSpec, machine: QemuMachine, incoming?: { uri: string; keyFolder: string }): Promise<void> {
    const socket = await this.runtime(spec, 'qmp.sock');
    await rm(socket, { force: true });
    const args = [
      '-name', `guest=${spec.name},process=awan-${spec.instanceId}`,
      '-accel', this.options.accelerator,
      '-cpu', 'qemu64',
      ...machineArgs(machine),
      '-display', 'none',
      // The display for consoles, on this host's own socket: VNC is no device, so a migration's two QEMUs may differ in it.
      '-vnc', `unix:${await this.runtime(spec, 'vnc.sock')}`,
      // The serial port on a socket a console attaches to (one client at a time), its output logged by QEMU itself
      // whether or not anyone is attached; appended: a VM's two QEMUs of a live migration write one console log.
      '-chardev', `socket,id=console0,path=${await this.runtime(spec, 'serial.sock')},server=on,wait=off,logfile=${this.file(spec, 'console.log')},logappend=on`,
      '-serial', 'chardev:console0',
      '-no-shutdown',
      '-daemonize',
      '-pidfile', await this.runtime(spec, 'qemu.pid'),
      '-qmp', `unix:${socket},server=on,wait=off`,
      '-drive', `id=disk0,file=${this.file(spec, 'disk.qcow2')},if=virtio,format=qcow2`,
      '-drive', `id=seed0,file=${this.file(spec, 'seed.iso')},if=virtio,format=raw,readonly=on`,
      '-device', 'virtio-balloon-pci,id=balloon0',
    ];
    if (await this.kernelBoot(spec)) {
      const dir = spec.image.location;
      // memhp_default_state=online: memory a resize plugs in is the guest's at once (Debian's kernel leaves it offline).
      args.push('-kernel', path.join(dir, 'vmlinuz'), '-initrd', path.join(dir, 'initrd.img'), '-append', 'console=ttyS0 panic=-1 memhp_default_state=online');
    }
    if (spec.network) {
      await ensureTap(this.tap(spec), spec.network.bridge);
      args.push('-netdev', `tap,id=net0,ifname=${this.tap(spec)},script=no,downscript=no`);
      args.push('-device', `virtio-net-pci,netdev=net0,mac=${spec.network.mac ?? macFor(spec.instanceId)}`);
    } else {
      args.push('-nic', 'none');
    }
    if (incoming) {
      // Deferred: the migration's TLS must be set before QEMU listens.
      args.push('-object', `tls-creds-psk,id=${MIGRATION_CREDENTIALS},endpoint=server,dir=${incoming.keyFolder}`, '-incoming', 'defer');
    }
    await runProgram(this.options.binary ?? 'qemu-system-x86_64', args, { timeoutMs: 30_000 });
    if (!(await waitUntil(async () => (await qmp(socket, 'query-status').then(() => true, () => false)), 10_000))) {
      throw new Error(`QEMU for ${spec.instanceId} started but its QMP socket does not answer`);
    }
    if (incoming) {
      await qmp(socket, 'migrate-set-parameters', { 'tls-creds': MIGRATION_CREDENTIALS });
      await qmp(socket, 'migrate-incoming', { uri: incoming.uri });
    }
  }

  /**
   * Live migration, target side: a QEMU with the VM's devices (its recorded machine, with what
   * was hot-plugged) on the shared disk, waiting on a free port of `address` for its state, which
   * it takes only from a sender with the key made here for this migration. Asked again, it answers
   * the same URI and key.
   */
  async receive(spec: InstanceSpec, address: string): Promise<MigrationTarget> {
    const uriFile = await this.runtime(spec, 'incoming.uri');
    const keyFolder = await this.runtime(spec, 'migration-key');
    if (await this.pid(spec)) {
      const uri = (await readFile(uriFile, 'utf8').catch(() => '')).trim();
      const key = await readMigrationKey(keyFolder);
      if (uri && key) return { uri, key };
      throw AppError.conflict(`instance ${spec.instanceId} runs on this host already`);
    }
    const key = randomBytes(32).toString('hex');
    await writeMigrationKey(keyFolder, key);
    const uri = `tcp:${isIP(address) === 6 ? `[${address}]` : address}:${await freePort(address)}`;
    await this.launch(spec, await this.machine(spec), { uri, keyFolder });
    await writeFile(uriFile, uri);
    return { uri, key };
  }

  /**
   * Live migration, source side: sends the running VM to the target over TLS with the target's
   * key and waits until the target has it, then ends this QEMU. Without a QEMU here it was sent already.
   */
  async send(spec: InstanceSpec, target: MigrationTarget, timeoutMs = 600_000): Promise<void> {
    if (!(await this.pid(spec))) return;
    const socket = await this.runtime(spec, 'qmp.sock');
    const progress = () => qmp<{ status?: string; 'error-desc'?: string }>(socket, 'query-migrate');
    // Asked again (compute retries), a migration under way or done is not started twice.
    const status = (await progress()).status;
    if (status !== 'active' && status !== 'completed') {
      await this.useMigrationKey(spec, socket, target.key);
      await qmp(socket, 'migrate', { uri: target.uri });
    }
    let last: { status?: string; 'error-desc'?: string } = {};
    const cancel = () => qmp(socket, 'migrate_cancel').catch(() => undefined);
    const settled = await waitUntil(async () => {
      last = await progress();
      return last.status === 'completed' || last.status === 'failed' || last.status === 'cancelled';
    }, timeoutMs, 200).catch(async (error: unknown) => {
      // The monitor did not answer (busy under the migration's load): the migration is cancelled all the same, not left to run.
      await cancel();
      throw error;
    });
    if (last.status !== 'completed') {
      await cancel();
      throw new Error(`live migration of ${spec.instanceId} ${settled ? last.status : 'timed out'}${last['error-desc'] ? `: ${last['error-desc']}` : ''}`);
    }
    await this.quit(spec);
    if (spec.network) await removeTap(this.tap(spec));
  }

  /**
   * Gives the running QEMU client credentials with `key` for its next migration. QEMU reads a client's
   * key when the credentials are made, so the file goes at once; credentials of an earlier try go first.
   */
  private async useMigrationKey(spec: InstanceSpec, socket: string, key: string): Promise<void> {
    const keyFolder = await this.runtime(spec, 'migration-key');
    await qmp(socket, 'object-del', { id: MIGRATION_CREDENTIALS }).catch(() => undefined);
    try {
      await writeMigrationKey(keyFolder, key);
      await qmp(socket, 'object-add', { 'qom-type': 'tls-creds-psk', id: MIGRATION_CREDENTIALS, endpoint: 'client', dir: keyFolder, username: MIGRATION_KEY_USER });
    } finally {
      await rm(keyFolder, { recursive: true, force: true });
    }
    await qmp(socket, 'migrate-set-parameters', { 'tls-creds': MIGRATION_CREDENTIALS });
  }

  /** The VM now runs here for good: a finished migration's URI and key are no longer an answer. */
  async settle(spec: InstanceSpec): Promise<void> {
    await allDone([
      rm(await this.runtime(spec, 'incoming.uri'), { force: true }),
      rm(await this.runtime(spec, 'migration-key'), { recursive: true, force: true }),
    ]);
  }

  /** Grows the disk of a VM that is off (disks only grow); a running one's grows over QMP. */
  private async growDisk(spec: InstanceSpec): Promise<void> {
    const disk = this.file(spec, 'disk.qcow2');
    if ((await virtualSize(disk)) < spec.diskGb * GiB) await runProgram('qemu-img', ['resize', '-q', disk, `${spec.diskGb}G`]);
  }

  async stop(spec: InstanceSpec, options: { force: boolean; timeoutMs: number }): Promise<void> {
    const socket = await this.runtime(spec, 'qmp.sock');
    if (await this.pid(spec)) {
      if (!options.force) {
        await qmp(socket, 'system_powerdown').catch(() => undefined);
        await waitUntil(async () => (await this.state(spec)) === 'STOPPED', options.timeoutMs, 250);
      }
      await this.quit(spec);
    }
    if (spec.network) await removeTap(this.tap(spec));
  }

  async kill(spec: InstanceSpec): Promise<void> {
    await this.killed(await this.pid(spec), spec.instanceId);
  }

  /** QEMU's process killed, and its tap taken away (there is none where it has no network). */
  private async killed(pid: number | null, instanceId: string): Promise<void> {
    if (pid) await killProcess(pid);
    await removeTap(this.tap({ instanceId }));
  }

  /**
   * Ends QEMU: `quit` over QMP, SIGKILL if QMP does not answer or QEMU lingers; returns once the
   * process is gone, and throws while it is not (a stopped or fenced VM must not still write its disk).
   */
  private async quit(spec: InstanceSpec): Promise<void> {
    const pid = await this.pid(spec);
    if (!pid) return;
    const asked = await qmp(await this.runtime(spec, 'qmp.sock'), 'quit').then(() => true, () => false);
    // QEMU removes its pidfile before it has finished exiting: watch the process itself.
    if (!asked || !(await waitUntil(() => processGone(pid), 10_000))) await killProcess(pid);
  }

  async reboot(spec: InstanceSpec): Promise<void> {
    if (!(await this.pid(spec))) return this.start(spec);
    await qmp(await this.runtime(spec, 'qmp.sock'), 'system_reset');
  }

  /**
   * A VM that is off takes its new size at its next start. A running one's disk grows now
   * (`block_resize`: the guest sees a bigger disk); its memory and vCPUs grow by hot-plugging
   * DIMMs and vCPUs within its room. Shrinking, or growing past the room, needs a restart.
   * Asked again, it plugs only what the running QEMU lacks.
   */
  async resize(spec: InstanceSpec, to: Resize): Promise<{ restart: boolean }> {
    if ((await this.state(spec)) !== 'RUNNING') {
      await this.growDisk({ ...spec, diskGb: to.diskGb });
      return { restart: false };
    }
    const socket = await this.runtime(spec, 'qmp.sock');
    await this.growRunningDisk(socket, to.diskGb);
    const recorded = await this.machine(spec);
    // What QEMU has plugged counts, not the record: an agent that died mid-resize may have plugged more than it wrote down.
    const machine = { ...recorded, ...(await this.plugged(socket)) };
    const growth = growthTo(machine, to);
    if (!growth) return { restart: true };
    if (growth.memoryMb > 0) await this.plugDimm(socket, machine, growth.memoryMb);
    if (growth.vcpus > 0) await this.plugCpus(socket, growth.vcpus);
    // Written even when nothing was plugged now: a retry may follow a first try that died before writing.
    if (machine.slots > 0 || machine.maxVcpus > machine.vcpus) await this.recordMachine(spec, { ...recorded, ...(await this.plugged(socket)) });
    return { restart: false };
  }

  private async growRunningDisk(socket: string, diskGb: number): Promise<void> {
    const devices = await qmp<{ device: string; inserted?: { image: { 'virtual-size': number } } }[]>(socket, 'query-block');
    const size = devices.find((d) => d.device === 'disk0')?.inserted?.image['virtual-size'] ?? 0;
    if (size < diskGb * GiB) await qmp(socket, 'block_resize', { device: 'disk0', size: diskGb * GiB });
  }

  /** The DIMMs and vCPUs plugged into the running QEMU after it started. */
  private async plugged(socket: string): Promise<{ dimms: Dimm[]; cpus: HotPluggedCpu[] }> {
    const memory = await qmp<MemoryDevice[]>(socket, 'query-memory-devices');
    const dimms = memory.filter((device) => device.type === 'dimm').map(({ data }) => ({
      id: data.id!, memdev: data.memdev.replace(/^\/objects\//, ''), sizeMb: data.size / MiB, slot: data.slot, addr: data.addr,
    }));
    const cpus = (await qmp<HotpluggableCpu[]>(socket, 'query-hotpluggable-cpus'))
      .filter((cpu) => cpu['qom-path']?.startsWith('/machine/peripheral/'))
      .map((cpu) => ({ id: cpu['qom-path']!.slice('/machine/peripheral/'.length), driver: cpu.type, props: cpu.props }));
    return { dimms: dimms.sort((a, b) => a.slot - b.slot), cpus: cpus.sort((a, b) => a.id.localeCompare(b.id, 'en', { numeric: true })) };
  }

  /** One DIMM of `sizeMb` in the first free slot: a RAM backend, then the device using it. */
  private async plugDimm(socket: string, machine: QemuMachine, sizeMb: number): Promise<void> {
    let slot = 0;
    while (machine.dimms.some((dimm) => dimm.slot === slot)) slot++;
    const memdev = `mem${slot}`;
    // A backend without its DIMM, left by an agent that died between the two steps, goes first (unknown ids fail: ignored).
    await qmp(socket, 'object-del', { id: memdev }).catch(() => undefined);
    await qmp(socket, 'object-add', { 'qom-type': 'memory-backend-ram', id: memdev, size: sizeMb * MiB });
    try {
      await qmp(socket, 'device_add', { driver: 'pc-dimm', id: `dimm${slot}`, memdev, slot });
    } catch (error) {
      await qmp(socket, 'object-del', { id: memdev }).catch(() => undefined);
      throw error;
    }
  }

  /** `count` more vCPUs, in the free places QEMU lists for them, lowest first. */
  private async plugCpus(socket: string, count: number): Promise<void> {
    const order = (props: Record<string, number>) => ['socket-id', 'die-id', 'core-id', 'thread-id'].map((key) => props[key] ?? 0);
    const free = (await qmp<HotpluggableCpu[]>(socket, 'query-hotpluggable-cpus'))
      .filter((cpu) => !cpu['qom-path'])
      .sort((a, b) => {
        const [x, y] = [order(a.props), order(b.props)];
        return x.reduce((result, value, i) => result || value - y[i], 0);
      });
    for (const cpu of free.slice(0, count)) {
      await qmp(socket, 'device_add', { driver: cpu.type, id: `cpu-${order(cpu.props).join('-')}`, ...cpu.props });
    }
  }

  async destroy(spec: InstanceSpec): Promise<void> {
    await this.stop(spec, { force: true, timeoutMs: 0 });
  }
}

/** The qcow2 header's magic, and where it holds the disk's virtual size (a big-endian uint64). */
const QCOW2_MAGIC = 0x514649fb;
const QCOW2_SIZE_OFFSET = 24;

/** A disk's size as its guest sees it: from a qcow2's header where it is one (no program run), else as qemu-img tells it. */
async function virtualSize(disk: string): Promise<number> {
  const file = await open(disk, 'r');
  const header = Buffer.alloc(QCOW2_SIZE_OFFSET + 8);
  try {
    await file.read(header, 0, header.length, 0);
  } finally {
    await file.close();
  }
  if (header.readUInt32BE(0) === QCOW2_MAGIC) return Number(header.readBigUInt64BE(QCOW2_SIZE_OFFSET));
  const info = JSON.parse(await runProgram('qemu-img', ['info', '--output=json', '-U', disk])) as { 'virtual-size': number };
  return info['virtual-size'];
}

/** A TCP port free on `address` now (the kernel's choice), for a QEMU to listen on. */
function freePort(address: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, address, () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** A migration's key, in the file QEMU's TLS credentials read (`<user>:<hex key>`), readable by this host's root alone. */
async function writeMigrationKey(folder: string, key: string): Promise<void> {
  await mkdir(folder, { recursive: true, mode: 0o700 });
  await writeFile(path.join(folder, 'keys.psk'), `${MIGRATION_KEY_USER}:${key}\n`, { mode: 0o600 });
}

async function readMigrationKey(folder: string): Promise<string | null> {
  const line = await readFile(path.join(folder, 'keys.psk'), 'utf8').catch(() => '');
  return line.trim().split(':')[1] || null;
}
