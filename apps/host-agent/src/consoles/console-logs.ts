import { copyFile, rm, stat, truncate } from 'node:fs/promises';
import { Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { Rounds } from '#libs/platform';
import type { InstanceFolders } from '../instances/instance-folder.js';

/**
 * The most an instance's console log holds before it is rotated to `console.log.1`: an instance's
 * logs take at most twice this (and, for a VM, what its guest writes between two looks). LXC is told
 * the same for a container's (`lxc.console.size`, `lxc.console.rotate`).
 */
export const CONSOLE_LOG_LIMIT_BYTES = 1024 * 1024;

/** How often a VM's console log is looked at: a guest writing to its serial port without pause passes the limit by what it writes in this time. */
const CONSOLE_LOG_CHECK_MS = 10_000;

/**
 * Rotates a console log past `limitBytes`: copied to `<file>.1`, then emptied. Its writer opened it to
 * append (QEMU's logappend, LXC), so it goes on at the file's new end, with no hole; what it writes
 * between the copy and the emptying is lost, as with logrotate's copytruncate.
 */
export async function rotateConsoleLog(file: string, limitBytes = CONSOLE_LOG_LIMIT_BYTES): Promise<boolean> {
  const size = (await stat(file).catch(() => null))?.size ?? 0;
  if (size <= limitBytes) return false;
  // Emptied even where the copy fails (the storage is full): the bound matters more than the old lines.
  await copyFile(file, `${file}.1`).catch(() => rm(`${file}.1`, { recursive: true, force: true }));
  try {
    await truncate(file, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false; // the instance was deleted meanwhile
    throw error;
  }
  return true;
}

/**
 * Keeps this host's VMs' console logs bounded. QEMU appends a VM's serial output to `console.log` for
 * as long as the VM runs and has no limit of its own: a guest writing to its serial port without end
 * would fill the storage that every instance of the host (and of the hosts sharing it) writes to.
 */
export class ConsoleLogs {
  constructor(
    private readonly folders: InstanceFolders,
    readonly limitBytes = CONSOLE_LOG_LIMIT_BYTES,
  ) {}

  /** Rotates every log of this host's VMs past the limit; answers the VMs whose log it rotated. */
  async keep(): Promise<string[]> {
    const rotated: string[] = [];
    for (const spec of await this.folders.list()) {
      if (spec.kind === 'VM' && (await rotateConsoleLog(this.folders.file(spec.instanceId, 'console.log'), this.limitBytes))) rotated.push(spec.instanceId);
    }
    return rotated;
  }
}

/** The agent looks at its VMs' console logs every CONSOLE_LOG_CHECK_MS while it runs. */
export class ConsoleLogsLifecycle implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('consoles');
  private readonly rounds = new Rounds(CONSOLE_LOG_CHECK_MS, this.logger, 'console log rotation', async () => {
    const rotated = await this.logs.keep();
    if (rotated.length > 0) this.logger.log(`rotated the console log of ${rotated.join(', ')}: past ${this.logs.limitBytes} bytes`);
  });

  constructor(private readonly logs: ConsoleLogs) {}

  onApplicationBootstrap(): void {
    this.rounds.start({ now: true });
  }

  onApplicationShutdown(): Promise<void> {
    return this.rounds.stop();
  }
}
