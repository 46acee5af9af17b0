import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import {
  CONSOLE_WINDOW_BYTES, ConsoleFrame, consoleFrame, consoleFrameText, consoleInputSubject, consoleOutputSubject, readConsoleFrame, type InstanceSpec,
} from '#libs/contracts';
import { describeWithHardware, TEST_NATS_URL, waitFor } from '#libs/testing';
import { probeHost } from '../host/host-probe.js';
import { findCloudKernel } from '../images/cloud-kernel.js';
import { InstanceFolders } from '../instances/instance-folder.js';
import { InstanceManager } from '../instances/instance-manager.js';
import { LxcDriver } from '../instances/lxc.driver.js';
import { QemuDriver } from '../instances/qemu.driver.js';
import { CONSOLE_LOG_LIMIT_BYTES } from './console-logs.js';
import { ConsoleSessions, HOST_CONSOLE_ENDPOINTS, SESSIONS_PER_INSTANCE } from './console-sessions.js';

const dataDir = mkdtempSync(path.join(os.tmpdir(), 'awan-consoles-'));
const abilities = await probeHost(dataDir);
const missing = !abilities.kinds.includes('VM') || !abilities.kinds.includes('CONTAINER')
  ? abilities.notes.join('; ')
  : !(await findCloudKernel())
    ? 'no Debian cloud kernel (apt-get install --no-install-recommends linux-image-cloud-amd64)'
    : null;

const hostId = `consoles-${randomUUID().slice(0, 8)}`;
const folders = new InstanceFolders(hostId, dataDir);
const manager = new InstanceManager(folders, { VM: new QemuDriver({ folders, accelerator: 'tcg' }), CONTAINER: new LxcDriver(folders) });

/**
 * A line as QEMU's console.log holds it while a session is attached: where the agent read the serial
 * socket late, QEMU logs the byte the socket refused, then logs it again as the serial port sends it
 * again (QEMU's qemu_chr_write_buffer). The session hears each byte once; the log may repeat one.
 */
const asLogged = (line: string) => new RegExp([...line].map((character) => `(?:${character.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')})+`).join(''));

/** The gateway's side of one session, as the gateway plays it: what the host sent, and its frames. */
class GatewaySide {
  output = Buffer.alloc(0);
  ends: string[] = [];
  frames = 0;
  private readonly subscription;

  constructor(
    private readonly nats: NatsConnection,
    readonly sessionId: string,
    private readonly acknowledging = true,
  ) {
    this.subscription = nats.subscribe(consoleOutputSubject(hostId, sessionId), {
      callback: (_error, message) => {
        const frame = readConsoleFrame(message.data)!;
        this.frames++;
        if (frame.type === ConsoleFrame.DATA) {
          this.output = Buffer.concat([this.output, frame.body]);
          if (this.acknowledging) this.send(ConsoleFrame.ACK, String(this.output.length));
        } else if (frame.type === ConsoleFrame.END) {
          this.ends.push(consoleFrameText(frame.body));
        }
      },
    });
  }

  send(type: (typeof ConsoleFrame)[keyof typeof ConsoleFrame], body: string | Uint8Array = '') {
    this.nats.publish(consoleInputSubject(hostId, this.sessionId), consoleFrame(type, body));
  }

  until(pattern: RegExp, timeoutMs = 60_000) {
    return waitFor(() => pattern.test(this.output.toString('latin1')) || undefined, timeoutMs, `${pattern}; got ${JSON.stringify(this.output.toString('latin1').slice(-300))}`);
  }

  close() {
    this.subscription.unsubscribe();
  }
}

describeWithHardware("the host's console sessions over NATS, with real QEMU and LXC", missing, () => {
  let nats: NatsConnection;
  let sessions: ConsoleSessions;

  beforeAll(async () => {
    nats = await connect({ servers: TEST_NATS_URL });
    sessions = new ConsoleSessions(hostId, nats, HOST_CONSOLE_ENDPOINTS(folders));
  });

  afterAll(async () => {
    await sessions?.onApplicationShutdown();
    await nats?.drain();
    for (const status of await manager.list()) await manager.delete(status.instanceId);
    rmSync(dataDir, { recursive: true, force: true });
  }, 120_000);

  const open = async (instanceId: string, kind: 'SERIAL' | 'VNC', acknowledging = true) => {
    const side = new GatewaySide(nats, randomUUID(), acknowledging);
    await nats.flush();
    await sessions.open({ sessionId: side.sessionId, instanceId, kind });
    return side;
  };

  it("carries a VM's serial port (its boot lines, as console.log keeps them too) and its display, and ends them when the VM stops", async () => {
    const spec: InstanceSpec = { instanceId: randomUUID(), name: 'console-vm', kind: 'VM', vcpus: 1, memoryMb: 256, diskGb: 1, image: { kind: 'VM', location: 'dev:busybox-kernel' } };
    await manager.create(spec, true);
    const serial = await open(spec.instanceId, 'SERIAL');
    const second = await open(spec.instanceId, 'SERIAL');
    // Nothing is sent before the gateway's first acknowledgement: its subscription is surely in place by then.
    await new Promise((resolve) => setTimeout(resolve, 3000));
    expect(serial.frames).toBe(0);
    serial.send(ConsoleFrame.ACK, '0');
    second.send(ConsoleFrame.ACK, '0');
    await serial.until(/awan-guest: hostname console-vm/);
    // Both sessions share the one serial port, and hear the same.
    await second.until(/awan-guest: waiting for the power button/);
    await serial.until(/awan-guest: waiting for the power button/);
    // QEMU logs what it wrote to the socket once written: a line heard can reach the file a moment later.
    const logged = () => readFileSync(folders.file(spec.instanceId, 'console.log'), 'utf8');
    await waitFor(() => asLogged('awan-guest: waiting for the power button').test(logged()) || undefined, 10_000, 'console.log to hold the last line heard').catch(() => undefined);
    expect(logged()).toMatch(asLogged('awan-guest: waiting for the power button'));
    expect(logged()).toMatch(asLogged('awan-guest: hostname console-vm'));

    const display = await open(spec.instanceId, 'VNC');
    display.send(ConsoleFrame.ACK, '0');
    await display.until(/^RFB 003\.008\n$/);
    display.send(ConsoleFrame.DATA, 'RFB 003.008\n');
    await waitFor(() => display.output.length > 12 || undefined, 10_000, 'the security types');

    await manager.stop(spec.instanceId, true);
    await waitFor(() => serial.ends.length + second.ends.length + display.ends.length === 3 || undefined, 10_000, 'every session to end');
    expect(serial.ends[0]).toContain('the VM stopped');
    await waitFor(() => sessions.size === 0 || undefined, 5000, 'no session left');
    for (const side of [serial, second, display]) side.close();
  }, 180_000);

  it("carries a container's console, never stalls LXC for a slow gateway (past its window the output is dropped, and said so), keeps its log bounded, and ends a session the gateway leaves", async () => {
    const spec: InstanceSpec = { instanceId: randomUUID(), name: 'console-ct', kind: 'CONTAINER', vcpus: 1, memoryMb: 256, diskGb: 1, image: { kind: 'CONTAINER', location: 'dev:busybox-rootfs' } };
    await manager.create(spec, true);
    const others = sessions.size;
    const side = await open(spec.instanceId, 'SERIAL', false);
    side.send(ConsoleFrame.ACK, '0');
    side.send(ConsoleFrame.DATA, '\recho $((6*7))-typed\r');
    await side.until(/42-typed/);
    // A flood the gateway does not acknowledge: the host sends a window's worth, and the console is still read.
    side.send(ConsoleFrame.DATA, 'yes 0123456789012345678901234567890123456789 | head -c 2000000; echo flood-$((1+1))\r');
    await waitFor(() => side.output.length > CONSOLE_WINDOW_BYTES / 2 || undefined, 20_000, 'the flood');
    const asked = Date.now();
    expect(await manager.status(spec.instanceId)).toMatchObject({ state: 'RUNNING' });
    expect(Date.now() - asked).toBeLessThan(5000);
    await new Promise((resolve) => setTimeout(resolve, 3000));
    expect(side.output.length).toBeLessThanOrEqual(CONSOLE_WINDOW_BYTES + 64 * 1024);
    side.send(ConsoleFrame.ACK, String(side.output.length));
    await side.until(/\[awan: \d+ bytes of console output dropped: the client read too slowly\]/, 20_000);
    side.send(ConsoleFrame.DATA, 'echo after-$((2+2))\r');
    side.send(ConsoleFrame.ACK, String(side.output.length));
    await side.until(/after-4/, 20_000);
    // The flood passed the console log's limit: LXC moved the log to console.log.1 and started it again.
    const logSize = (name: string) => statSync(folders.file(spec.instanceId, name)).size;
    expect(logSize('console.log.1')).toBeGreaterThan(CONSOLE_LOG_LIMIT_BYTES / 2);
    expect(logSize('console.log.1')).toBeLessThanOrEqual(CONSOLE_LOG_LIMIT_BYTES);
    expect(logSize('console.log')).toBeLessThanOrEqual(CONSOLE_LOG_LIMIT_BYTES);

    side.send(ConsoleFrame.END, 'the browser left');
    await waitFor(() => sessions.size === others || undefined, 5000, 'the session to end');
    expect(side.ends).toEqual([]); // it said so itself: nothing more is sent back
    side.close();
    // The console's connection stays until the container stops, which it does as ever.
    expect(await manager.stop(spec.instanceId, false, 10_000)).toMatchObject({ state: 'STOPPED' });
    await manager.delete(spec.instanceId);
  }, 180_000);

  it(`holds at most ${SESSIONS_PER_INSTANCE} sessions open on an instance, however many are asked at once, and takes one more once one ends`, async () => {
    const spec: InstanceSpec = { instanceId: randomUUID(), name: 'console-many', kind: 'CONTAINER', vcpus: 1, memoryMb: 256, diskGb: 1, image: { kind: 'CONTAINER', location: 'dev:busybox-rootfs' } };
    await manager.create(spec, true);
    const others = sessions.size;
    const sides = Array.from({ length: SESSIONS_PER_INSTANCE + 4 }, () => new GatewaySide(nats, randomUUID(), true));
    await nats.flush();
    const opened = await Promise.allSettled(sides.map((side) => sessions.open({ sessionId: side.sessionId, instanceId: spec.instanceId, kind: 'SERIAL' })));
    expect(opened.filter((o) => o.status === 'fulfilled')).toHaveLength(SESSIONS_PER_INSTANCE);
    expect(opened.filter((o): o is PromiseRejectedResult => o.status === 'rejected').map((o) => o.reason)).toEqual(Array.from({ length: 4 }, () => expect.objectContaining({
      code: 'CONFLICT', message: expect.stringContaining(`${SESSIONS_PER_INSTANCE} console sessions open`),
    })));
    const first = sides[opened.findIndex((o) => o.status === 'fulfilled')];
    first.send(ConsoleFrame.END, 'the browser left');
    await waitFor(() => sessions.size === others + SESSIONS_PER_INSTANCE - 1 || undefined, 5000, 'the session to end');
    const another = await open(spec.instanceId, 'SERIAL');
    expect(sessions.size).toBe(others + SESSIONS_PER_INSTANCE);
    for (const side of [...sides, another]) side.close();
    await manager.delete(spec.instanceId);
    await waitFor(() => sessions.size === others || undefined, 10_000, 'the sessions to end with the container');
  }, 60_000);

  it('refuses what it cannot open, naming the field or the reason', async () => {
    const others = sessions.size;
    await expect(sessions.open({ sessionId: 'x.>', instanceId: randomUUID(), kind: 'SERIAL' })).rejects.toMatchObject({ code: 'BAD_USER_INPUT', field: 'sessionId' });
    await expect(sessions.open({ sessionId: randomUUID(), instanceId: randomUUID(), kind: 'SERIAL' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    const spec: InstanceSpec = { instanceId: randomUUID(), name: 'console-off', kind: 'CONTAINER', vcpus: 1, memoryMb: 256, diskGb: 1, image: { kind: 'CONTAINER', location: 'dev:busybox-rootfs' } };
    await manager.create(spec, false);
    await expect(sessions.open({ sessionId: randomUUID(), instanceId: spec.instanceId, kind: 'VNC' })).rejects.toMatchObject({ code: 'BAD_USER_INPUT', field: 'kind' });
    await expect(sessions.open({ sessionId: randomUUID(), instanceId: spec.instanceId, kind: 'SERIAL' })).rejects.toMatchObject({ code: 'CONFLICT' });
    expect(sessions.size).toBe(others);
  }, 60_000);
});
