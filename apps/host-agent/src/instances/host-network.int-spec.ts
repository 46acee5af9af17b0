import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describeWithHardware, missingHardware } from '#libs/testing';
import { runProgram } from '../host/program.js';
import { HostBridges } from './host-network.js';

const exists = (name: string) => runProgram('ip', ['link', 'show', 'dev', name]).then(() => true, () => false);

/** Real bridges beside a real route of this machine's: another bridge (made here) holding 198.51.100.224/28. */
describeWithHardware("the agent's bridges beside the host's own routes", missingHardware({ root: true }), () => {
  const suffix = randomUUID().slice(0, 6);
  const other = `awtbo${suffix}`;
  const refused = `awtbr${suffix}`;
  const allowed = `awtba${suffix}`;
  const recordDir = mkdtempSync(path.join(os.tmpdir(), 'awan-bridges-'));
  const warnings: string[] = [];
  const bridges = new HostBridges(recordDir, undefined, { warn: (message) => warnings.push(message) });

  beforeAll(async () => {
    await runProgram('ip', ['link', 'add', other, 'type', 'bridge']);
    await runProgram('ip', ['address', 'add', '198.51.100.225/28', 'dev', other]);
    await runProgram('ip', ['link', 'set', other, 'up']);
  });
  afterAll(async () => {
    for (const name of [other, refused, allowed]) await runProgram('ip', ['link', 'delete', name]).catch(() => undefined);
    rmSync(recordDir, { recursive: true, force: true });
  });

  it('refuses a gateway whose prefix overlaps a route of the host, says why, and makes nothing', async () => {
    await expect(bridges.ensure({ bridge: refused, ipv4: '198.51.100.230/27', gateway4: '198.51.100.225' })).rejects.toMatchObject({
      code: 'CONFLICT',
      message: `bridge ${refused} refused: 198.51.100.225/27 overlaps the host's route 198.51.100.224/28 on ${other}; give the pool a prefix this host does not use`,
    });
    expect(await exists(refused)).toBe(false);
    expect(bridges.problems()).toEqual([expect.stringContaining(`bridge ${refused} refused`)]);
    expect(warnings).toHaveLength(1);
  });

  it('makes a bridge whose prefix overlaps nothing, and removes it once nothing is on it', async () => {
    await bridges.ensure({ bridge: allowed, ipv4: '198.51.100.210/28', gateway4: '198.51.100.209', ipv6: '2001:db8:b1d::10/64', gateway6: '2001:db8:b1d::1' });
    await bridges.ensure({ bridge: allowed, ipv4: '198.51.100.211/28', gateway4: '198.51.100.209' }); // again: nothing more to do
    const addresses = await runProgram('ip', ['-o', 'address', 'show', 'dev', allowed]);
    expect(addresses).toContain('198.51.100.209/28');
    expect(addresses).toContain('2001:db8:b1d::1/64');
    expect(existsSync(path.join(recordDir, allowed))).toBe(true);

    // A gateway taken off meanwhile is put back by the next instance's start.
    await runProgram('ip', ['address', 'delete', '198.51.100.209/28', 'dev', allowed]);
    await bridges.ensure({ bridge: allowed, ipv4: '198.51.100.212/28', gateway4: '198.51.100.209' });
    expect(await runProgram('ip', ['-o', 'address', 'show', 'dev', allowed])).toContain('198.51.100.209/28');

    // Something on it (a VM's tap, made with the bridge's own batch, up on it): it stays.
    const tap = `awtbt${suffix}`;
    await bridges.ensure({ bridge: allowed, ipv4: '198.51.100.213/28', gateway4: '198.51.100.209' }, tap);
    const [link] = JSON.parse(await runProgram('ip', ['-json', 'link', 'show', 'dev', tap])) as { master?: string; flags: string[] }[];
    expect(link).toMatchObject({ master: allowed, flags: expect.arrayContaining(['UP']) });
    expect(await bridges.removeUnused()).toEqual([]);
    expect(await exists(allowed)).toBe(true);
    await runProgram('ip', ['link', 'delete', tap]);
    expect(await bridges.removeUnused()).toEqual([allowed]);
    expect(await exists(allowed)).toBe(false);
    expect(await exists(other)).toBe(true); // what the agent did not make, it never removes
  });
});
