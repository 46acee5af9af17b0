import { readdirSync } from 'node:fs';
import WebSocket from 'ws';
import { describeWithHardware, GraphqlClient, missingHardware, startTestAwan, uniqueName, waitFor, type TestAwan } from '#libs/testing';

/** A console token lives this long here: long enough to connect at once, short enough to see one go stale. */
const TOKEN_TTL_MS = 4000;

/** A console's socket as a browser holds it: what came, and how it ended. */
interface ConsoleClient {
  ws: WebSocket;
  /** Everything received so far, as text (latin1: every byte one character). */
  text(): string;
  messages: Buffer[];
  closed: Promise<{ code: number; reason: string; at: number }>;
  until(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  type(text: string): void;
}

function connect(url: string, protocols?: string[]): ConsoleClient {
  const ws = new WebSocket(url, protocols);
  const messages: Buffer[] = [];
  let text = '';
  ws.on('message', (data: Buffer, isBinary) => {
    expect(isBinary).toBe(true);
    messages.push(data);
    text += data.toString('latin1');
  });
  ws.on('error', () => undefined); // its end is read from `closed`
  const closed = new Promise<{ code: number; reason: string; at: number }>((resolve) => ws.once('close', (code, reason) => resolve({ code, reason: reason.toString(), at: Date.now() })));
  return {
    ws,
    messages,
    text: () => text,
    closed,
    until: (pattern, timeoutMs = 30_000) => waitFor(() => text.match(pattern) ?? undefined, timeoutMs, `${pattern} on the console; it showed ${JSON.stringify(text.slice(-400))}`),
    type: (typed) => ws.send(Buffer.from(typed), { binary: true }),
  };
}

const opened = (client: ConsoleClient) => new Promise<void>((resolve, reject) => {
  client.ws.once('open', () => resolve());
  client.ws.once('close', (code, reason) => reject(new Error(`closed before it opened: ${code} ${reason.toString()}`)));
});

interface HistoryEvent { type: string; data: string }

/** Debian's cloud kernel, which the agent's dev-busybox-kernel image boots. */
const kernel = readdirSync('/boot').some((file) => /^vmlinuz-.*-cloud-amd64$/.test(file));

/**
 * Consoles through the API on npm start's Awan with this machine's agent: a container's console and
 * a VM's serial port and display, each through the gateway's WebSocket, its token, its end, and the
 * instance's history. VMs boot under TCG (Debian's cloud kernel, as the VM boot test).
 */
describeWithHardware(
  'consoles: browser ↔ gateway WebSocket ↔ NATS ↔ host agent',
  missingHardware({ root: true, lxc: true, qemu: true }) ?? (kernel ? null : 'needs a Debian cloud kernel (apt-get install --no-install-recommends linux-image-cloud-amd64)'),
  () => {
    let awan: TestAwan;
    let admin: GraphqlClient;
    let owner: GraphqlClient;
    let ownerAccountId: string;
    let stranger: GraphqlClient;

    beforeAll(async () => {
      awan = await startTestAwan('consoles', { AGENT_ACCELERATOR: 'tcg', CONSOLE_TOKEN_TTL_MS: String(TOKEN_TTL_MS) });
      admin = new GraphqlClient(awan.url).as(awan.adminKey);
      const customer = async (name: string) => {
        const { createAccount } = await admin.data(`mutation { createAccount(input: { name: "${name}", kind: CUSTOMER }) { account { id } apiKey { secret } } }`);
        return { id: createAccount.account.id as string, client: admin.as(createAccount.apiKey.secret) };
      };
      const own = await customer('Console Owner');
      owner = own.client;
      ownerAccountId = own.id;
      stranger = (await customer('Console Stranger')).client;
    }, 240_000);

    afterAll(() => awan?.stop(), 120_000);

    const create = async (client: GraphqlClient, kind: 'CONTAINER' | 'VM', name: string): Promise<string> => {
      const input = kind === 'CONTAINER'
        ? `{ name: "${name}", kind: CONTAINER, imageId: "dev-busybox-rootfs", planId: "ct-512m", regionId: "local", billingCycle: HOURLY }`
        : `{ name: "${name}", kind: VM, imageId: "dev-busybox-kernel", planId: "vm-512m", regionId: "local", billingCycle: HOURLY }`;
      const id = (await waitFor(() => client.data(`mutation { createInstance(input: ${input}) { id } }`).catch(() => undefined), 20_000, 'billing to know the account')).createInstance.id as string;
      await waitForStatus(client, id, 'RUNNING');
      return id;
    };
    const waitForStatus = (client: GraphqlClient, id: string, status: string) =>
      waitFor(async () => {
        const { instance } = await client.data(`{ instance(id: "${id}") { status } }`);
        if (instance.status === 'ERROR') throw new Error(`instance ${id} failed`);
        return instance.status === status || undefined;
      }, 180_000, `instance ${id} to be ${status}`);
    const openConsole = (client: GraphqlClient, id: string, kind = '') =>
      client.request<{ openConsole: { url: string; kind: string; expiresAt: string } }>(`mutation { openConsole(instanceId: "${id}"${kind ? `, kind: ${kind}` : ''}) { url kind expiresAt } }`);
    const history = async (id: string): Promise<HistoryEvent[]> =>
      (await owner.data(`{ instance(id: "${id}") { history(first: 100) { edges { node { type data } } } } }`)).instance.history.edges.map((e: { node: HistoryEvent }) => e.node);
    const consoleEvents = async (id: string) => (await history(id)).filter((e) => e.type.startsWith('Console')).map((e) => ({ type: e.type, ...JSON.parse(e.data) }));

    it("a container's console runs what is typed; the token is single-use; strangers and wrong consoles are refused; a stop closes it; the history has it", async () => {
      const id = await create(owner, 'CONTAINER', uniqueName('con-'));
      const before = Date.now();
      const { data, errors } = await openConsole(owner, id);
      expect(errors).toBeUndefined();
      const session = data!.openConsole;
      expect(session.kind).toBe('SERIAL');
      expect(session.url).toMatch(new RegExp(`^ws://127\\.0\\.0\\.1:\\d+/consoles/[A-Za-z0-9_-]{43}$`));
      expect(Date.parse(session.expiresAt) - before).toBeGreaterThan(TOKEN_TTL_MS - 2000);
      expect(Date.parse(session.expiresAt) - before).toBeLessThanOrEqual(TOKEN_TTL_MS + 2000);

      const console = connect(session.url);
      await opened(console);
      // The container's shell is on its console: what is typed runs there, and its output comes back.
      const marker = `awan-${Math.floor(Math.random() * 1e9)}`;
      console.type(`\recho ${marker.slice(0, 5)}$((${marker.slice(5)}+1))\r`);
      await console.until(new RegExp(`awan-${Number(marker.slice(5)) + 1}`));

      // The token was spent: a second socket with it is refused.
      const again = connect(session.url);
      expect(await again.closed).toMatchObject({ code: 4401, reason: expect.stringContaining('unknown, used or expired') });

      // Another tenant does not see the instance; a container has no display; FINANCE opens nothing.
      const foreign = await openConsole(stranger, id);
      expect(foreign.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
      const vnc = await openConsole(owner, id, 'VNC');
      expect(vnc.errors?.[0]).toMatchObject({ extensions: { code: 'BAD_USER_INPUT', field: 'kind' } });

      // Stopping the instance closes the console.
      await owner.data(`mutation { stopInstance(id: "${id}") { id } }`);
      const end = await Promise.race([console.closed, new Promise<null>((resolve) => setTimeout(() => resolve(null), 60_000).unref())]);
      expect(end).not.toBeNull();
      expect([4409, 1000]).toContain(end!.code);
      await waitForStatus(owner, id, 'STOPPED');
      expect((await openConsole(owner, id)).errors?.[0]?.extensions?.code).toBe('CONFLICT');

      // The history says who opened it, which console, and how long it lasted.
      const events = await waitFor(async () => {
        const found = await consoleEvents(id);
        return found.length === 2 ? found : undefined;
      }, 20_000, 'ConsoleOpened and ConsoleClosed in the history');
      expect(events[0]).toMatchObject({ type: 'ConsoleOpened', kind: 'SERIAL', accountId: ownerAccountId, role: 'CUSTOMER', apiKeyId: expect.any(String) });
      expect(events[1]).toMatchObject({ type: 'ConsoleClosed', kind: 'SERIAL', sessionId: events[0].sessionId, reason: expect.any(String) });
      expect(events[1].durationMs).toBeGreaterThan(0);
      expect(events[1].durationMs).toBeLessThan(Date.now() - before);
    }, 400_000);

    it('refuses a token past its time, and closes a console within 5 s of its key being revoked', async () => {
      const id = await create(owner, 'CONTAINER', uniqueName('con-'));
      const stale = (await openConsole(owner, id)).data!.openConsole;
      await new Promise((resolve) => setTimeout(resolve, TOKEN_TTL_MS + 500));
      expect(await connect(stale.url).closed).toMatchObject({ code: 4401 });

      const { createApiKey } = await owner.data(`mutation { createApiKey(input: { accountId: "${ownerAccountId}", name: "console", role: CUSTOMER }) { apiKey { id } secret } }`);
      const session = (await openConsole(owner.as(createApiKey.secret), id)).data!.openConsole;
      const console = connect(session.url);
      await opened(console);
      console.type('\recho still-$((1+1))\r');
      await console.until(/still-2/);
      const revoked = Date.now();
      await owner.data(`mutation { revokeApiKey(id: "${createApiKey.apiKey.id}") { id } }`);
      const end = await console.closed;
      expect(end.code).toBe(4401);
      expect(end.at - revoked).toBeLessThan(5000);
      const events = await waitFor(async () => {
        const found = await consoleEvents(id);
        return found.some((e) => e.type === 'ConsoleClosed') ? found : undefined;
      }, 20_000, 'ConsoleClosed in the history');
      expect(events.map((e) => e.type)).toEqual(['ConsoleOpened', 'ConsoleClosed']);
      expect(events[0].apiKeyId).toBe(createApiKey.apiKey.id);
      await owner.data(`mutation { deleteInstance(id: "${id}") { id } }`);
    }, 300_000);

    it("a VM's serial console shows its guest's boot lines, and its display answers RFB until the VM is deleted", async () => {
      const name = uniqueName('vm-');
      const id = await create(owner, 'VM', name);
      const serial = connect((await openConsole(owner, id)).data!.openConsole.url);
      await opened(serial);
      // Once the session is recorded, its host attaches it at once (it says nothing before the guest does).
      await waitFor(async () => (await consoleEvents(id)).length === 1 || undefined, 20_000, 'ConsoleOpened');
      await new Promise((resolve) => setTimeout(resolve, 1000));
      // Rebooted, the guest boots again on the console, which stays open through it.
      await owner.data(`mutation { rebootInstance(id: "${id}") { id } }`);
      await serial.until(/Linux version \d/, 120_000);
      await serial.until(new RegExp(`awan-guest: hostname ${name}`), 120_000);

      const session = (await openConsole(owner, id, 'VNC')).data!.openConsole;
      expect(session.kind).toBe('VNC');
      // As noVNC connects to websockify: the `binary` subprotocol, then RFB.
      const display = connect(session.url, ['binary']);
      await opened(display);
      expect(display.ws.protocol).toBe('binary');
      await display.until(/^RFB 003\.008\n/);
      display.type('RFB 003.008\n');
      // The server's security types: a count, then the types (1: None).
      await waitFor(() => display.messages.length > 1 || Buffer.concat(display.messages).length > 12, 10_000, 'the security types');
      const security = Buffer.concat(display.messages).subarray(12);
      expect(security[0]).toBeGreaterThan(0);
      expect([...security.subarray(1, 1 + security[0])]).toContain(1);

      await owner.data(`mutation { deleteInstance(id: "${id}") { id } }`);
      const ends = await Promise.all([serial.closed, display.closed]);
      for (const end of ends) expect([4409, 1000]).toContain(end.code);
      const events = await waitFor(async () => {
        const found = await consoleEvents(id);
        return found.filter((e) => e.type === 'ConsoleClosed').length === 2 ? found : undefined;
      }, 30_000, 'both sessions closed in the history');
      expect(events.filter((e) => e.type === 'ConsoleOpened').map((e) => e.kind).sort()).toEqual(['SERIAL', 'VNC']);
    }, 400_000);
  },
);
