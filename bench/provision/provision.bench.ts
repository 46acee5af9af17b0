// Create request → RUNNING through compute and the host agent for a container and a VM (the agent
// answers once QMP says running), beside the raw tools doing the same in the same run, on a host that
// runs one container of the bench's own throughout. Prints JSON.
// Needs root, LXC, QEMU, PostgreSQL and NATS (DATABASE_URL, NATS_URL as for the tests).
// `-- cluster`: in place of this, the same creates through the API on Awan as `npm start` runs it,
// on a single node and as a cluster, side by side (bench/provision/cluster.ts). `-- control-plane`: the
// control plane's own share of a create, on a simulated host (bench/provision/control-plane.ts).
// Usage: npm run bench:provision [-- cluster | -- control-plane]   (BENCH_RUNS, default 20)
import { randomUUID } from 'node:crypto';
import { connect } from '@nats-io/transport-node';
import type { InstanceKind } from '#libs/contracts';
import { TEST_NATS_URL } from '#libs/testing';
import { mkdtempSync, rmSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { probeHost } from '../../apps/host-agent/src/host/host-probe.js';
import { runProgram } from '../../apps/host-agent/src/host/program.js';
import { buildBlankQcow2, buildBusyboxRootfs } from '../../apps/host-agent/src/images/dev-images.js';
import { waitUntil } from '../../apps/host-agent/src/instances/instance-driver.js';
import { InstanceFolders } from '../../apps/host-agent/src/instances/instance-folder.js';
import { qmp } from '#libs/qmp';
import { startComputeSystem } from '../../apps/compute/test/compute-system.js';
import { runClusterBench } from './cluster.js';
import { runControlPlaneBench } from './control-plane.js';
import { summary, time, timedCreate } from './creates.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 20);
if (process.argv.slice(2).includes('control-plane')) {
  await runControlPlaneBench(RUNS); // needs no hypervisor
  process.exit(0);
}
const dataDir = mkdtempSync(path.join(os.tmpdir(), 'awan-bench-'));
const abilities = await probeHost(dataDir);
if (process.getuid?.() !== 0 || !abilities.kinds.includes('CONTAINER') || !abilities.kinds.includes('VM')) {
  console.error(`bench/provision needs root, LXC and QEMU: ${abilities.notes.join('; ') || 'not root'}`);
  process.exit(1);
}
if (process.argv.slice(2).includes('cluster')) {
  rmSync(dataDir, { recursive: true, force: true });
  await runClusterBench();
  process.exit(0);
}
const accelerator = abilities.accelerator!;
const folders = new InstanceFolders('bench', dataDir);
const system = await startComputeSystem();
const started = await connect({ servers: TEST_NATS_URL });
const rootfs = await buildBusyboxRootfs(path.join(folders.images, 'busybox-rootfs.tar.gz'));
const blank = await buildBlankQcow2(path.join(folders.images, 'blank.qcow2'));
const rawDir = path.join(dataDir, 'raw');

const computeCreate = async (kind: InstanceKind) => (await timedCreate(system, started, kind)).ms;

/** The raw tools: lxc-copy of a prepared container, lxc-start, wait for RUNNING. */
async function rawContainer(): Promise<number> {
  const name = `raw-${randomUUID().slice(0, 8)}`;
  const ms = await time(async () => {
    await runProgram('lxc-copy', ['-P', rawDir, '-n', 'base', '-N', name]);
    await runProgram('lxc-start', ['-P', rawDir, '-n', name]);
    await runProgram('lxc-wait', ['-P', rawDir, '-n', name, '-s', 'RUNNING', '-t', '30']);
  });
  await runProgram('lxc-stop', ['-P', rawDir, '-n', name, '-k']);
  await runProgram('lxc-destroy', ['-P', rawDir, '-n', name]);
  return ms;
}

/** The raw tools: qemu-img overlay, qemu-system daemonized, wait until QMP says running. */
async function rawVm(): Promise<number> {
  const dir = path.join(rawDir, `vm-${randomUUID().slice(0, 8)}`);
  await mkdir(dir, { recursive: true });
  const socket = path.join(dir, 'qmp.sock');
  const ms = await time(async () => {
    await runProgram('qemu-img', ['create', '-q', '-f', 'qcow2', '-b', blank, '-F', 'qcow2', path.join(dir, 'disk.qcow2'), '10G']);
    await runProgram('qemu-system-x86_64', [
      '-accel', accelerator, '-cpu', 'qemu64', '-m', '512', '-smp', '1', '-display', 'none', '-nic', 'none',
      '-daemonize', '-pidfile', path.join(dir, 'pid'), '-qmp', `unix:${socket},server=on,wait=off`,
      '-drive', `file=${path.join(dir, 'disk.qcow2')},if=virtio,format=qcow2`,
    ]);
    await waitUntil(async () => (await qmp<{ status: string }>(socket, 'query-status').catch(() => null))?.status === 'running', 10_000, 10);
  });
  await qmp(socket, 'quit').catch(() => undefined);
  await waitUntil(async () => !(await runProgram('cat', [path.join(dir, 'pid')]).then(() => true, () => false)), 5000);
  await rm(dir, { recursive: true, force: true });
  return ms;
}

try {
  // The raw container path copies a container prepared once from the same rootfs.
  await mkdir(path.join(rawDir, 'base', 'rootfs'), { recursive: true });
  await runProgram('tar', ['-xpf', rootfs, '-C', path.join(rawDir, 'base', 'rootfs'), '--numeric-owner']);
  const baseConfig = path.join(dataDir, 'base.conf');
  await writeFile(baseConfig, `lxc.rootfs.path = dir:${path.join(rawDir, 'base', 'rootfs')}\nlxc.net.0.type = empty\nlxc.uts.name = base\n`);
  await runProgram('lxc-create', ['-P', rawDir, '-n', 'base', '-t', 'none', '-f', baseConfig]);

  const samples = { computeContainer: [] as number[], rawContainer: [] as number[], computeVm: [] as number[], rawVm: [] as number[] };
  // The agent builds the development images on first use: once before timing.
  await computeCreate('CONTAINER');
  await computeCreate('VM');
  // A host is seldom empty: one container of the bench's own runs on it throughout, for both paths.
  const resident = await system.instance('create', {
    accountId: 'bench', input: { kind: 'CONTAINER', planId: 'ct-512m', imageId: 'dev-busybox-rootfs', name: 'bench-resident', regionId: 'local', billingCycle: 'HOURLY' },
  });
  await system.waitForStatus(resident.id, ['RUNNING']);
  // Interleaved, so both paths see the same machine.
  for (let i = 0; i < RUNS; i++) {
    samples.computeContainer.push(await computeCreate('CONTAINER'));
    samples.rawContainer.push(await rawContainer());
    samples.computeVm.push(await computeCreate('VM'));
    samples.rawVm.push(await rawVm());
  }
  const ratio = (a: number[], b: number[]) => Math.round((summary(a).p50Ms / summary(b).p50Ms) * 100) / 100;
  console.log(
    JSON.stringify(
      {
        scope: 'compute.instance.create request → InstanceStarted published',
        runs: RUNS,
        accelerator,
        container: { awan: summary(samples.computeContainer), raw: summary(samples.rawContainer), p50Ratio: ratio(samples.computeContainer, samples.rawContainer) },
        vm: { awan: summary(samples.computeVm), raw: summary(samples.rawVm), p50Ratio: ratio(samples.computeVm, samples.rawVm) },
      },
      null,
      2,
    ),
  );
} finally {
  await started.close();
  await system.close();
  await runProgram('lxc-destroy', ['-P', rawDir, '-n', 'base']).catch(() => undefined);
  rmSync(dataDir, { recursive: true, force: true });
}
