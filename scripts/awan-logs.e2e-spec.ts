import { hostPermissions } from '#libs/nats-auth';
import { GraphqlClient, issueTestCredentials, SimulatedHost, startTestAwan, uniqueName, waitFor, type TestAwan } from '#libs/testing';

interface Line {
  level: string;
  service: string;
  msg: string;
  [field: string]: unknown;
}

const HOST_DOWN_TIMEOUT_MS = 3000;
const CONTAINER = 'kind: CONTAINER, imageId: "dev-busybox-rootfs", planId: "ct-512m", regionId: "local", billingCycle: HOURLY';

/**
 * `npm start` as a log collector reads it (LOG_FORMAT=json; LOG_LEVEL=debug, so that callers'
 * mistakes show too), on a simulated host: every line it prints is one JSON object that names its
 * service, an instance's life is there with its ids and how long each step took, and a caller's
 * mistake is a line without a stack.
 */
describe('npm start with LOG_FORMAT=json', () => {
  let awan: TestAwan;

  beforeAll(async () => {
    awan = await startTestAwan('logs', { LOG_FORMAT: 'json', LOG_LEVEL: 'debug', HOST_DOWN_TIMEOUT_MS: String(HOST_DOWN_TIMEOUT_MS) }, { localAgent: false });
  }, 240_000);

  afterAll(() => awan?.stop(), 120_000);

  const printed = () => Object.values(awan.launcher.streams()).flatMap((text) => text.split('\n').filter((line) => line !== ''));
  const lines = () => printed().map((line) => JSON.parse(line) as Line);
  const fact = (msg: string, id: string, key = 'instanceId', timeoutMs = 15_000) =>
    waitFor(() => lines().find((line) => line.msg === msg && line[key] === id), timeoutMs, `"${msg}" of ${id} in the log`);

  it('prints JSON lines only: the services ready, an instance\'s facts with their durations, a refusal without a stack', async () => {
    const admin = new GraphqlClient(awan.url, awan.adminKey);
    const made = await admin.data('mutation { createAccount(input: { name: "Log Reader", kind: CUSTOMER }) { account { id } apiKey { secret } } }');
    const accountId: string = made.createAccount.account.id;
    const customer = admin.as(made.createAccount.apiKey.secret);

    const refused = await customer.request(`mutation { createInstance(input: { name: "../etc", ${CONTAINER} }) { id } }`);
    expect(refused.errors?.[0]?.extensions).toEqual({ code: 'BAD_USER_INPUT', field: 'input.name' });
    const { createInstance: { id } } = await customer.data(`mutation { createInstance(input: { name: "logged", ${CONTAINER} }) { id } }`);
    const statusOf = async () => (await customer.data(`{ instance(id: "${id}") { status } }`)).instance.status;
    await waitFor(async () => (await statusOf()) === 'RUNNING', 60_000, `${id} RUNNING`);
    await customer.data(`mutation { deleteInstance(id: "${id}") { id } }`);
    await waitFor(async () => (await statusOf()) === 'DELETED', 60_000, `${id} DELETED`);

    const requested = await fact('instance requested', id);
    const started = await fact('instance started', id);
    const deleted = await fact('instance deleted', id);
    const notLogLines = printed().filter((line) => {
      try {
        return typeof (JSON.parse(line) as Line).service !== 'string';
      } catch {
        return true;
      }
    });
    expect(notLogLines).toEqual([]);

    expect(requested).toMatchObject({ level: 'info', service: 'compute', instanceId: id, accountId, hostId: awan.hostId, kind: 'CONTAINER' });
    for (const [line, operation] of [[started, 'create'], [deleted, 'delete']] as const) {
      expect(line).toMatchObject({ level: 'info', service: 'compute', instanceId: id, accountId, hostId: awan.hostId, operation, durationMs: expect.any(Number) });
      expect(line.durationMs).toBeGreaterThanOrEqual(0);
    }
    // From the create request to RUNNING, as the log's own times say.
    expect(started.durationMs).toBeLessThanOrEqual(Date.parse(started.time as string) - Date.parse(requested.time as string) + 1000);

    // The caller's mistake: one line where the gateway answered and one where compute refused, at debug, neither with a stack.
    const refusals = lines().filter((line) => line.code === 'BAD_USER_INPUT' && line.msg.includes('input.name'));
    expect(refusals.map((line) => `${line.service} ${line.level}`).sort()).toEqual(['compute debug', 'gateway debug']);
    for (const line of refusals) expect(JSON.stringify(line)).not.toMatch(/stack|\\n\s+at /);
    expect(lines().filter((line) => line.level === 'error')).toEqual([]);

    // Starting: one line per service when ready, Nest's module loading at debug only, and where the API is.
    const atInfo = lines().filter((line) => !['debug', 'trace'].includes(line.level));
    expect(atInfo.filter((line) => line.msg.startsWith('ready: ')).map((line) => line.service).sort()).toEqual(['billing', 'compute', 'gateway', 'network']);
    expect(lines().filter((line) => line.context === 'InstanceLoader').length).toBeGreaterThan(0);
    expect(atInfo.filter((line) => ['InstanceLoader', 'RoutesResolver', 'RouterExplorer', 'NestFactory'].includes(line.context as string))).toEqual([]);
    expect(atInfo.find((line) => line.msg === 'Awan is running.')).toMatchObject({ service: 'awan', graphqlApi: awan.url });
  }, 180_000);

  it('says when a host goes DOWN, and when it is UP again after how long', async () => {
    const hostId = uniqueName('logs-leaving-');
    const start = async () => SimulatedHost.start({ hostId, natsUrl: awan.natsUrl, credentials: await issueTestCredentials(awan.dataDir, `host-${hostId}`, hostPermissions(hostId)) });
    let host = await start();
    try {
      expect(await fact('host registered', hostId, 'hostId')).toMatchObject({ level: 'info', service: 'compute', regionId: 'local' });
      await host.stop();
      expect(await fact('host DOWN', hostId, 'hostId', HOST_DOWN_TIMEOUT_MS + 15_000)).toMatchObject({ level: 'info', service: 'compute' });
      host = await start();
      const up = await fact('host UP', hostId, 'hostId');
      expect(up).toMatchObject({ level: 'info', service: 'compute', downForMs: expect.any(Number) });
      expect(lines().filter((line) => line.hostId === hostId && line.msg.startsWith('host ')).map((line) => line.msg)).toEqual(['host registered', 'host DOWN', 'host UP']);
    } finally {
      await host.stop();
    }
  }, 90_000);
});
