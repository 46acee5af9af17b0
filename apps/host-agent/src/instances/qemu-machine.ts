import type { HostCapacity, InstanceSpec } from '#libs/contracts';

/** Linux (x86-64) adds hot-plugged memory in 128 MiB blocks: a DIMM of whole blocks is all usable. */
export const MEMORY_BLOCK_MB = 128;
/** Room to grow in place, as a multiple of what the VM starts with. */
export const GROWTH_FACTOR = 4;
/** Memory growths in place between two starts: each one is a DIMM. */
export const DIMM_SLOTS = 8;
/** The most vCPUs QEMU's `pc` machine runs. */
const PC_MAX_CPUS = 255;

/** A hot-plugged DIMM, with where QEMU put it: a migration's target must put it there too. */
export interface Dimm {
  id: string;
  /** Its memory backend's object id. */
  memdev: string;
  sizeMb: number;
  slot: number;
  addr: number;
}

/** A hot-plugged vCPU: its CPU type and place in the topology, as `query-hotpluggable-cpus` names them. */
export interface HotPluggedCpu {
  id: string;
  driver: string;
  props: Record<string, number>;
}

/**
 * The machine a VM's QEMU runs as: what it booted with, its room to grow in place, and what was
 * hot-plugged since. Kept in the instance folder, because a live migration's target must start
 * QEMU with exactly these devices, or the migration fails.
 */
export interface QemuMachine {
  memoryMb: number;
  vcpus: number;
  maxMemoryMb: number;
  maxVcpus: number;
  slots: number;
  dimms: Dimm[];
  cpus: HotPluggedCpu[];
}

/**
 * The machine a VM starts as. Its room is `GROWTH_FACTOR` times its size, and never more than
 * the host has: a plan bigger than the host could not be placed there anyway, and room costs the
 * guest even unused (Linux sets up per-CPU areas for every possible vCPU at boot; the memory room
 * takes guest address space, 1 GiB of it per DIMM slot). Four times is two steps of a catalog
 * whose plans double. Memory room is whole 128 MiB blocks.
 */
export function machineFor(spec: InstanceSpec, host: Pick<HostCapacity, 'vcpus' | 'memoryMb'>): QemuMachine {
  const memoryRoom = Math.min(spec.memoryMb * (GROWTH_FACTOR - 1), host.memoryMb - spec.memoryMb);
  const blocks = Math.max(0, Math.floor(memoryRoom / MEMORY_BLOCK_MB));
  return {
    memoryMb: spec.memoryMb,
    vcpus: spec.vcpus,
    maxMemoryMb: spec.memoryMb + blocks * MEMORY_BLOCK_MB,
    maxVcpus: Math.max(spec.vcpus, Math.min(spec.vcpus * GROWTH_FACTOR, host.vcpus, PC_MAX_CPUS)),
    slots: Math.min(DIMM_SLOTS, blocks),
    dimms: [],
    cpus: [],
  };
}

/** The machine of a VM an older agent started, which kept no record: its spec's size, without room. */
export function machineWithoutRoom(spec: InstanceSpec): QemuMachine {
  return { memoryMb: spec.memoryMb, vcpus: spec.vcpus, maxMemoryMb: spec.memoryMb, maxVcpus: spec.vcpus, slots: 0, dimms: [], cpus: [] };
}

/** What the guest has now: what it booted with and what was hot-plugged. */
export function sizeOf(machine: QemuMachine): { memoryMb: number; vcpus: number } {
  return {
    memoryMb: machine.memoryMb + machine.dimms.reduce((sum, dimm) => sum + dimm.sizeMb, 0),
    vcpus: machine.vcpus + machine.cpus.length,
  };
}

/**
 * What must be hot-plugged for the guest to have `to`, or null where that cannot happen in
 * place: it shrinks, goes past the room, has no DIMM slot left, or grows memory by part of a block.
 */
export function growthTo(machine: QemuMachine, to: { memoryMb: number; vcpus: number }): { memoryMb: number; vcpus: number } | null {
  const now = sizeOf(machine);
  const memoryMb = to.memoryMb - now.memoryMb;
  const vcpus = to.vcpus - now.vcpus;
  if (memoryMb < 0 || vcpus < 0 || to.vcpus > machine.maxVcpus) return null;
  if (memoryMb > 0 && (memoryMb % MEMORY_BLOCK_MB !== 0 || to.memoryMb > machine.maxMemoryMb || machine.dimms.length >= machine.slots)) return null;
  return { memoryMb, vcpus };
}

const NAME = /^[a-z0-9][a-z0-9_-]{0,63}$/i;
const whole = (value: unknown) => Number.isSafeInteger(value) && (value as number) >= 0;

/** A stored machine, checked: each of its values reaches QEMU's arguments, so none may carry a comma or an option. */
export function parseMachine(text: string): QemuMachine {
  const machine = JSON.parse(text) as QemuMachine;
  const valid = [machine.memoryMb, machine.vcpus, machine.maxMemoryMb, machine.maxVcpus, machine.slots].every(whole)
    && Array.isArray(machine.dimms) && Array.isArray(machine.cpus)
    && machine.dimms.every((d) => NAME.test(d.id) && NAME.test(d.memdev) && [d.sizeMb, d.slot, d.addr].every(whole))
    && machine.cpus.every((c) => NAME.test(c.id) && NAME.test(c.driver) && typeof c.props === 'object' && c.props !== null && Object.entries(c.props).every(([key, value]) => NAME.test(key) && whole(value)));
  if (!valid) throw new Error('the VM\'s QEMU machine record is malformed');
  return machine;
}

/** QEMU's arguments for the machine: its memory and vCPUs with their room, and every hot-plugged device. */
export function machineArgs(machine: QemuMachine): string[] {
  // Without room, exactly what agents before room passed: a migration's two QEMUs must agree.
  const args = [
    '-m', machine.slots > 0 ? `${machine.memoryMb},slots=${machine.slots},maxmem=${machine.maxMemoryMb}M` : String(machine.memoryMb),
    '-smp', machine.maxVcpus > machine.vcpus ? `${machine.vcpus},maxcpus=${machine.maxVcpus}` : String(machine.vcpus),
  ];
  for (const dimm of machine.dimms) {
    args.push(
      '-object', `memory-backend-ram,id=${dimm.memdev},size=${dimm.sizeMb}M`,
      '-device', `pc-dimm,id=${dimm.id},memdev=${dimm.memdev},slot=${dimm.slot},addr=${dimm.addr}`,
    );
  }
  for (const cpu of machine.cpus) {
    args.push('-device', [cpu.driver, `id=${cpu.id}`, ...Object.entries(cpu.props).map(([key, value]) => `${key}=${value}`)].join(','));
  }
  return args;
}
