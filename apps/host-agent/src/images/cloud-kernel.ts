import { constants, existsSync } from 'node:fs';
import { access, copyFile, readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { runProgram } from '../host/program.js';

export interface CloudKernel {
  vmlinuz: string;
  modulesDir: string;
}

/**
 * The newest Debian cloud kernel (package `linux-image-cloud-amd64`) on this machine that
 * can be read and has its modules installed; null when there is none.
 */
export async function findCloudKernel(): Promise<CloudKernel | null> {
  const versions = (await readdir('/boot').catch(() => [] as string[]))
    .map((file) => /^vmlinuz-(.+-cloud-amd64)$/.exec(file)?.[1])
    .filter((version): version is string => !!version && existsSync(path.join('/lib/modules', version, 'modules.dep')))
    .sort((a, b) => b.localeCompare(a, 'en', { numeric: true }));
  for (const version of versions) {
    const vmlinuz = `/boot/vmlinuz-${version}`;
    if (await access(vmlinuz, constants.R_OK).then(() => true, () => false)) return { vmlinuz, modulesDir: path.join('/lib/modules', version) };
  }
  return null;
}

/** `kernel/fs/isofs/isofs.ko.xz` → `isofs`; modprobe treats - and _ alike. */
const moduleName = (file: string) => path.basename(file).replace(/\.ko(\.\w+)?$/, '').replaceAll('-', '_');

/**
 * The module files (relative to `modulesDir`) that give the kernel `names`, each after the
 * ones it needs, as modules.dep lists them. Modules built into the kernel need no file.
 */
export async function moduleLoadOrder(modulesDir: string, names: readonly string[]): Promise<string[]> {
  const dependencies = new Map<string, string[]>();
  const files = new Map<string, string>();
  for (const line of (await readFile(path.join(modulesDir, 'modules.dep'), 'utf8')).split('\n')) {
    const [file, deps] = line.split(':');
    if (deps === undefined) continue;
    dependencies.set(file, deps.trim().split(/\s+/).filter(Boolean));
    files.set(moduleName(file), file);
  }
  const builtin = new Set(
    (await readFile(path.join(modulesDir, 'modules.builtin'), 'utf8').catch(() => '')).split('\n').filter(Boolean).map(moduleName),
  );
  const order: string[] = [];
  const visit = (file: string) => {
    if (order.includes(file)) return;
    for (const dependency of dependencies.get(file) ?? []) visit(dependency);
    order.push(file);
  };
  for (const name of names) {
    const file = files.get(moduleName(name));
    if (file) visit(file);
    else if (!builtin.has(moduleName(name))) throw new Error(`kernel module ${name} is neither in ${modulesDir}/modules.dep nor built in`);
  }
  return order;
}

const DECOMPRESSORS: Record<string, string[]> = { '.xz': ['xz', '-d'], '.zst': ['zstd', '-d', '-q', '--rm'] };

/**
 * A module as the guest's insmod loads it: its file name and object. Newer Debian kernels
 * ship .ko.xz: those are unpacked here, in `scratch`, so the guest needs no decompressor.
 */
export async function readModule(file: string, scratch: string): Promise<{ name: string; data: Buffer }> {
  const extension = path.extname(file);
  const decompressor = DECOMPRESSORS[extension];
  if (!decompressor) return { name: path.basename(file), data: await readFile(file) };
  const copy = path.join(scratch, path.basename(file));
  await copyFile(file, copy);
  await runProgram(decompressor[0], [...decompressor.slice(1), copy]);
  const unpacked = copy.slice(0, -extension.length);
  return { name: path.basename(unpacked), data: await readFile(unpacked) };
}
