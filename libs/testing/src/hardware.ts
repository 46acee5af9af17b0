import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

/** What a suite needs of this machine to drive real instances. */
export interface HardwareNeeds {
  root?: boolean;
  lxc?: boolean;
  qemu?: boolean;
  /** A FUSE filesystem to stand for a share that hangs (bindfs, stopped). */
  fuse?: boolean;
}

const works = (command: string) => spawnSync(command, ['--version'], { stdio: 'ignore' }).status === 0;

/** What of `needs` this machine lacks, in words with how to get it; null when it has everything. */
export function missingHardware(needs: HardwareNeeds): string | null {
  const missing: string[] = [];
  if (needs.root && process.getuid?.() !== 0) missing.push('root');
  if (needs.lxc && !works('lxc-start')) missing.push('LXC (apt-get install lxc)');
  if (needs.qemu && !works('qemu-system-x86_64')) missing.push('QEMU (apt-get install qemu-system-x86 qemu-utils)');
  if (needs.fuse && !(existsSync('/dev/fuse') && works('bindfs'))) missing.push('FUSE and bindfs (apt-get install bindfs)');
  return missing.length > 0 ? `needs ${missing.join(', ')}` : null;
}

/**
 * A suite that drives real hypervisors: where the machine lacks what it needs (`missing`, from
 * missingHardware or the agent's own probe), it is skipped with the reason printed, except under
 * CI=true, where a skip would hide that the suite never ran: there it fails, saying why.
 */
export function describeWithHardware(name: string, missing: string | null, body: () => void): void {
  if (!missing) {
    describe(name, body);
  } else if (process.env.CI === 'true') {
    describe(name, () => {
      it('runs on this machine, as CI requires', () => {
        throw new Error(`"${name}" cannot run here (${missing}), and CI=true does not allow it to be skipped`);
      });
    });
  } else {
    console.warn(`skipping "${name}": ${missing}`);
    describe.skip(name, body);
  }
}
