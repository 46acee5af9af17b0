import type { InstanceSpec } from '#libs/contracts';
import { growthTo, machineArgs, machineFor, machineWithoutRoom, parseMachine, type QemuMachine } from './qemu-machine.js';

const vm = (memoryMb: number, vcpus: number): InstanceSpec => ({
  instanceId: '5f0e6a2c-1111-4222-8333-944455556666', name: 'vm', kind: 'VM', vcpus, memoryMb, diskGb: 10,
  image: { kind: 'VM', location: '/images/blank.qcow2' },
});
const bigHost = { vcpus: 64, memoryMb: 256 * 1024 };
const dimm = (slot: number, sizeMb: number) => ({ id: `dimm${slot}`, memdev: `mem${slot}`, sizeMb, slot, addr: 4 * 1024 ** 3 + slot * 1024 ** 3 });

describe('a VM’s QEMU machine', () => {
  it('starts with room for four times its size, as far as the host reaches, in whole 128 MiB blocks', () => {
    expect(machineFor(vm(512, 1), bigHost)).toEqual({ memoryMb: 512, vcpus: 1, maxMemoryMb: 2048, maxVcpus: 4, slots: 8, dimms: [], cpus: [] });
    expect(machineFor(vm(4096, 2), { vcpus: 6, memoryMb: 10_000 })).toMatchObject({ maxMemoryMb: 4096 + 5888, maxVcpus: 6 });
    // A host no bigger than the VM leaves no room: QEMU gets exactly the plan.
    const full = machineFor(vm(2048, 2), { vcpus: 2, memoryMb: 2100 });
    expect(full).toMatchObject({ maxMemoryMb: 2048, maxVcpus: 2, slots: 0 });
    expect(machineArgs(full)).toEqual(['-m', '2048', '-smp', '2']);
  });

  it('grows in place within its room, and needs a restart to shrink, to pass the room, for part of a block or without a free slot', () => {
    const machine = machineFor(vm(512, 1), bigHost);
    expect(growthTo(machine, { memoryMb: 1024, vcpus: 2 })).toEqual({ memoryMb: 512, vcpus: 1 });
    expect(growthTo(machine, { memoryMb: 512, vcpus: 1 })).toEqual({ memoryMb: 0, vcpus: 0 });
    expect(growthTo(machine, { memoryMb: 256, vcpus: 1 })).toBeNull();
    expect(growthTo({ ...machine, cpus: [{ id: 'cpu-0-1-0', driver: 'qemu64-x86_64-cpu', props: { 'core-id': 1 } }] }, { memoryMb: 512, vcpus: 1 })).toBeNull();
    expect(growthTo(machine, { memoryMb: 4096, vcpus: 1 })).toBeNull();
    expect(growthTo(machine, { memoryMb: 512, vcpus: 5 })).toBeNull();
    expect(growthTo(machine, { memoryMb: 600, vcpus: 1 })).toBeNull();
    const plugged = { ...machine, dimms: [dimm(0, 512)] };
    expect(growthTo(plugged, { memoryMb: 1536, vcpus: 1 })).toEqual({ memoryMb: 512, vcpus: 0 });
    expect(growthTo({ ...plugged, slots: 1 }, { memoryMb: 1536, vcpus: 1 })).toBeNull();
  });

  it('has no room where an older agent started it, so any change restarts it', () => {
    const old = machineWithoutRoom(vm(512, 1));
    expect(growthTo(old, { memoryMb: 1024, vcpus: 1 })).toBeNull();
    expect(growthTo(old, { memoryMb: 512, vcpus: 1 })).toEqual({ memoryMb: 0, vcpus: 0 });
    expect(machineArgs(old)).toEqual(['-m', '512', '-smp', '1']);
  });

  it('starts QEMU with its room and every hot-plugged DIMM and vCPU where they were, as a migration’s target must', () => {
    const machine: QemuMachine = {
      ...machineFor(vm(512, 1), bigHost),
      dimms: [dimm(0, 512)],
      cpus: [{ id: 'cpu-0-0-1-0', driver: 'qemu64-x86_64-cpu', props: { 'socket-id': 0, 'core-id': 1, 'thread-id': 0 } }],
    };
    expect(machineArgs(machine)).toEqual([
      '-m', '512,slots=8,maxmem=2048M', '-smp', '1,maxcpus=4',
      '-object', 'memory-backend-ram,id=mem0,size=512M', '-device', 'pc-dimm,id=dimm0,memdev=mem0,slot=0,addr=4294967296',
      '-device', 'qemu64-x86_64-cpu,id=cpu-0-0-1-0,socket-id=0,core-id=1,thread-id=0',
    ]);
    expect(parseMachine(JSON.stringify(machine))).toEqual(machine);
  });

  it('refuses a stored record whose values would smuggle options into QEMU’s arguments', () => {
    const machine = machineFor(vm(512, 1), bigHost);
    expect(() => parseMachine(JSON.stringify({ ...machine, dimms: [{ ...dimm(0, 512), id: 'x,file=/etc/shadow' }] }))).toThrow(/malformed/);
    expect(() => parseMachine(JSON.stringify({ ...machine, cpus: [{ id: 'c', driver: 'qemu64-x86_64-cpu', props: { 'core-id': '1,x=y' } }] }))).toThrow(/malformed/);
    expect(() => parseMachine(JSON.stringify({ ...machine, memoryMb: '512,slots=1' }))).toThrow(/malformed/);
  });
});
