import { constants } from 'node:fs';
import { access, mkdir, statfs } from 'node:fs/promises';
import os from 'node:os';
import type { HostCapacity, InstanceKind } from '#libs/contracts';
import { runProgram } from './program.js';

export interface HostAbilities {
  kinds: InstanceKind[];
  /** How VMs run here: `kvm` where /dev/kvm is usable, else `tcg`; null without QEMU. */
  accelerator: 'kvm' | 'tcg' | null;
  capacity: HostCapacity;
  /** Why a kind is missing, for the operator. */
  notes: string[];
}

const works = (program: string, args: string[]) => runProgram(program, args, { timeoutMs: 10_000 }).then(() => true, () => false);

/** This machine's processors and memory: the most its instances can have. */
export function machineSize(): { vcpus: number; memoryMb: number } {
  return { vcpus: os.cpus().length, memoryMb: Math.floor(os.totalmem() / 1024 / 1024) };
}

/** What this host can run: QEMU (with or without KVM), LXC (as root), and how much of it. */
export async function probeHost(dataDir: string, preferred?: 'kvm' | 'tcg'): Promise<HostAbilities> {
  const notes: string[] = [];
  const root = process.getuid?.() === 0;
  const qemu = await works('qemu-system-x86_64', ['--version']);
  const kvm = await access('/dev/kvm', constants.R_OK | constants.W_OK).then(() => true, () => false);
  const lxc = await works('lxc-start', ['--version']);
  const kinds: InstanceKind[] = [];
  let accelerator: HostAbilities['accelerator'] = null;
  if (qemu) {
    kinds.push('VM');
    accelerator = preferred ?? (kvm ? 'kvm' : 'tcg');
    if (!kvm) notes.push('/dev/kvm is not usable: VMs run under TCG (slow)');
  } else {
    notes.push('no qemu-system-x86_64: no VMs (apt-get install qemu-system-x86 qemu-utils)');
  }
  if (lxc && root) kinds.push('CONTAINER');
  else notes.push(lxc ? 'not root: no containers' : 'no LXC tools: no containers (apt-get install lxc)');

  await mkdir(dataDir, { recursive: true });
  const disk = await statfs(dataDir);
  return {
    kinds,
    accelerator,
    capacity: {
      ...machineSize(),
      diskGb: Math.floor((disk.blocks * disk.bsize) / 1024 ** 3),
    },
    notes,
  };
}
