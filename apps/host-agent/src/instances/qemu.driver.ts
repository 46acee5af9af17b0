import { existsSync } from 'node:fs';
import { readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createServer, isIP } from 'node:net';
import path from 'node:path';
import type { InstanceSpec } from '#libs/contracts';
import { AppError } from '#libs/messaging';
import { processGone, runProgram } from '../host/program.js';
import { buildNoCloudSeed } from './cloud-init-seed.js';
import type { InstanceDriver, Resize } from './instance-driver.js';
import { waitUntil } from './instance-driver.js';
import type { InstanceFolders } from './instance-folder.js';
import { macFor } from './instance-spec.js';
import { qmp } from './qmp-client.js';
import { ensureTap, removeTap, tapName } from './host-network.js';

export interface QemuOptions {
  folders: InstanceFolders;
  /** `kvm` where /dev/kvm works; `tcg` boots any guest, slowly (and is the only one that boots Linux under nested KVM here). */
  accelerator: 'kvm' | 'tcg';
  binary?: string;
}

const GiB = 1024 ** 3;

/**
 * One `qemu-system-x86_64` per VM, daemonized so it outlives the agent, driven over QMP.
 * An image is a qcow2 (the VM boots from an overlay on it) or a folder with `vmlinuz` and
 * `initrd.img` (direct kernel boot onto a blank disk).
 */
export class QemuDriver implements InstanceDriver {
  constructor(private readonly options: QemuOptions) {}

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
    if (!existsSync(disk)) {
      const size = `${spec.diskGb}G`;
      const args = image.isDirectory()
        ? ['create', '-q', '-f', 'qcow2', disk, size]
        : ['create', '-q', '-f', 'qcow2', '-b', spec.image.location, '-F', 'qcow2', disk, size];
      await runProgram('qemu-img', args);
    }
    await buildNoCloudSeed(spec, this.file(spec, 'seed.iso'));
  }

  /** This host's runtime file of the VM: two hosts sharing its folder never share these. */
  private runtime(spec: InstanceSpec, name: 'qemu.pid' | 'qmp.sock' | 'incoming.uri'): Promise<string> {
    return this.options.folders.runtimeFile(spec.instanceId, name);
  }

  private tap(spec: InstanceSpec): string {
    return tapName(this.options.folders.hostId, spec.instanceId);
  }

  /** The pid of this VM's QEMU on this host, if it runs: the pidfile's process must name that pidfile (pids get reused). */
  async pid(spec: InstanceSpec): Promise<number | null> {
    const pidFile = await this.runtime(spec, 'qemu.pid');
    const pid = Number((await readFile(pidFile, 'utf8').catch(() => '')).trim());
    if (!pid) return null;
    const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
    return cmdline.split('\0').includes(pidFile) ? pid : null;
  }

  async state(spec: InstanceSpec): Promise<'RUNNING' | 'STOPPED'> {
    if (!(await this.pid(spec))) return 'STOPPED';
    // -no-shutdown keeps QEMU alive after the guest powers off: that is a stopped VM.
    const status = await qmp<{ status: string }>(await this.runtime(spec, 'qmp.sock'), 'query-status').catch(() => null);
    if (status?.status === 'shutdown') {
      await this.quit(spec);
      return 'STOPPED';
    }
    return 'RUNNING';
  }

  async start(spec: InstanceSpec): Promise<void> {
    if (await this.pid(spec)) return;
    await this.growDisk(spec);
    await this.launch(spec);
  }

  /** Starts QEMU for the VM; with `incoming`, one that waits for a live migration's state at that URI. */
  private async launch(spec: InstanceSpec, incoming?: string): Promise<void> {
    const socket = await this.runtime(spec, 'qmp.sock');
    await rm(socket, { force: true });
    const args = [
      '-name', `guest=${spec.name},process=awan-${spec.instanceId}`,
      '-accel', this.options.accelerator,
      '-cpu', 'qemu64',
      '-m', String(spec.memoryMb),
      '-smp', String(spec.vcpus),
      '-display', 'none',
      // Appended: a VM's two QEMUs of a live migration write one console log.
      '-chardev', `file,id=console0,path=${this.file(spec, 'console.log')},append=on`,
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
      args.push('-kernel', path.join(dir, 'vmlinuz'), '-initrd', path.join(dir, 'initrd.img'), '-append', 'console=ttyS0 panic=-1');
    }
    if (spec.network) {
      await ensureTap(this.tap(spec), spec.network.bridge);
      args.push('-netdev', `tap,id=net0,ifname=${this.tap(spec)},script=no,downscript=no`);
      args.push('-device', `virtio-net-pci,netdev=net0,mac=${spec.network.mac ?? macFor(spec.instanceId)}`);
    } else {
      args.push('-nic', 'none');
    }
    if (incoming) args.push('-incoming', incoming);
    await runProgram(this.options.binary ?? 'qemu-system-x86_64', args, { timeoutMs: 30_000 });
    if (!(await waitUntil(async () => (await qmp(socket, 'query-status').then(() => true, () => false)), 10_000))) {
      throw new Error(`QEMU for ${spec.instanceId} started but its QMP socket does not answer`);
    }
  }

  /**
   * Live migration, target side: a QEMU with the VM's devices on the shared disk, waiting on a
   * free port of `address` for its state. Asked again, it answers the same URI.
   */
  async receive(spec: InstanceSpec, address: string): Promise<string> {
    const uriFile = await this.runtime(spec, 'incoming.uri');
    if (await this.pid(spec)) {
      const uri = (await readFile(uriFile, 'utf8').catch(() => '')).trim();
      if (uri) return uri;
      throw AppError.conflict(`instance ${spec.instanceId} runs on this host already`);
    }
    const uri = `tcp:${isIP(address) === 6 ? `[${address}]` : address}:${await freePort(address)}`;
    await this.launch(spec, uri);
    await writeFile(uriFile, uri);
    return uri;
  }

  /**
   * Live migration, source side: sends the running VM to `uri` and waits until the target has
   * it, then ends this QEMU. Without a QEMU here it was sent already.
   */
  async send(spec: InstanceSpec, uri: string, timeoutMs = 600_000): Promise<void> {
    if (!(await this.pid(spec))) return;
    const socket = await this.runtime(spec, 'qmp.sock');
    const progress = () => qmp<{ status?: string; 'error-desc'?: string }>(socket, 'query-migrate');
    // Asked again (compute retries), a migration under way or done is not started twice.
    const status = (await progress()).status;
    if (status !== 'active' && status !== 'completed') await qmp(socket, 'migrate', { uri });
    let last: { status?: string; 'error-desc'?: string } = {};
    const settled = await waitUntil(async () => {
      last = await progress();
      return last.status === 'completed' || last.status === 'failed' || last.status === 'cancelled';
    }, timeoutMs, 200);
    if (last.status !== 'completed') {
      await qmp(socket, 'migrate_cancel').catch(() => undefined);
      throw new Error(`live migration of ${spec.instanceId} ${settled ? last.status : 'timed out'}${last['error-desc'] ? `: ${last['error-desc']}` : ''}`);
    }
    await this.quit(spec);
    if (spec.network) await removeTap(this.tap(spec));
  }

  /** The VM now runs here for good: a finished migration's URI is no longer an answer. */
  async settle(spec: InstanceSpec): Promise<void> {
    await rm(await this.runtime(spec, 'incoming.uri'), { force: true });
  }

  /** Disks only grow, and only while the VM is off: a resize takes effect at the next start. */
  private async growDisk(spec: InstanceSpec): Promise<void> {
    const disk = this.file(spec, 'disk.qcow2');
    const info = JSON.parse(await runProgram('qemu-img', ['info', '--output=json', '-U', disk])) as { 'virtual-size': number };
    if (info['virtual-size'] < spec.diskGb * GiB) await runProgram('qemu-img', ['resize', '-q', disk, `${spec.diskGb}G`]);
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

  /** Ends QEMU: `quit` over QMP, SIGKILL if QMP does not answer; returns once the process is gone. */
  private async quit(spec: InstanceSpec): Promise<void> {
    const pid = await this.pid(spec);
    if (!pid) return;
    await qmp(await this.runtime(spec, 'qmp.sock'), 'quit').catch(() => process.kill(pid, 'SIGKILL'));
    // QEMU removes its pidfile before it has finished exiting: watch the process itself.
    if (!(await waitUntil(() => processGone(pid), 10_000))) process.kill(pid, 'SIGKILL');
    await waitUntil(() => processGone(pid), 5_000);
  }

  async reboot(spec: InstanceSpec): Promise<void> {
    if (!(await this.pid(spec))) return this.start(spec);
    await qmp(await this.runtime(spec, 'qmp.sock'), 'system_reset');
  }

  async resize(spec: InstanceSpec, to: Resize): Promise<void> {
    if (!(await this.pid(spec))) return this.growDisk({ ...spec, diskGb: to.diskGb });
    // The balloon can give back memory up to what the VM booted with; more needs a restart.
    if (to.memoryMb <= spec.memoryMb) {
      await qmp(await this.runtime(spec, 'qmp.sock'), 'balloon', { value: to.memoryMb * 1024 * 1024 }).catch(() => undefined);
    }
  }

  async destroy(spec: InstanceSpec): Promise<void> {
    await this.stop(spec, { force: true, timeoutMs: 0 });
  }
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
