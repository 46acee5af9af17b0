import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { PLATFORM_SCOPE } from '#libs/contracts';
import { credentialsOptions } from '#libs/nats-auth';
import { connectServiceClient, eventEnvelope, GraphqlClient, publishEvent, startTestAwan, waitFor, type TestAwan, type TestServiceClient } from '#libs/testing';
import { assignedBy, examplesOf, keyOf, orderProblems, readBy, type Example } from './doc-examples.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
/** The pages whose examples run, in this order, in one shell: operations.md's use api.md's shell. */
const PAGES = ['docs/api.md', 'docs/operations.md'];
/** Long enough for the longest wait an example makes (wait_for_status asks for 120 s). */
const EXAMPLE_TIMEOUT_MS = 150_000;
/** The section of docs/api.md before which the test stands in for a month that ended (it says so). */
const MONTH_CLOSE_SECTION = 'Finance closes a month';

/**
 * One bash session the sh examples run in, one after another, as a reader pastes them into one
 * terminal. A failing command ends the session (set -e): the example it was in has failed.
 */
class DocShell {
  private readonly child: ChildProcessWithoutNullStreams;
  private output = '';
  private readonly exited: Promise<number | null>;
  private runs = 0;

  constructor(private readonly dir: string, env: NodeJS.ProcessEnv) {
    this.child = spawn('bash', ['--noprofile', '--norc'], { cwd: dir, env });
    this.child.stdout.on('data', (chunk) => (this.output += chunk));
    this.child.stderr.on('data', (chunk) => (this.output += chunk));
    this.exited = new Promise((resolve) => this.child.on('exit', (code) => resolve(code)));
    // The test's own: the values of named variables, as one JSON line after a marker.
    this.child.stdin.write(`set -euo pipefail\n__docs_values() { local marker=$1 args=() name; shift; for name in "$@"; do args+=(--arg "$name" "\${!name-}"); done; printf '%s %s\\n' "$marker" "$(jq -nc '$ARGS.named' "\${args[@]}")"; }\n`);
  }

  /** Runs a block; its output, and the values of `names` after it. */
  async run(text: string, names: string[], timeoutMs = EXAMPLE_TIMEOUT_MS): Promise<{ stdout: string; stderr: string; values: Record<string, string> }> {
    const run = ++this.runs;
    const file = (suffix: string) => path.join(this.dir, `example-${run}.${suffix}`);
    writeFileSync(file('sh'), `${text}\n`);
    const marker = `__DOCS_DONE_${run}__`;
    this.child.stdin.write(`source ${file('sh')} >${file('out')} 2>${file('err')}\n__docs_values ${marker} ${names.join(' ')}\n`);
    const read = (suffix: string) => {
      try {
        return readFileSync(file(suffix), 'utf8');
      } catch {
        return '';
      }
    };
    const line = await waitFor(async () => {
      const found = new RegExp(`^${marker} (.*)$`, 'm').exec(this.output)?.[1];
      if (found) return found;
      if (this.child.exitCode !== null) throw new Error(`a command failed (the shell exited ${this.child.exitCode})`);
      return undefined;
    }, timeoutMs, 'the example to finish').catch((error: Error) => {
      throw new Error(`${error.message}\n--- stdout\n${read('out')}\n--- stderr\n${read('err')}`);
    });
    return { stdout: read('out'), stderr: read('err'), values: JSON.parse(line) as Record<string, string> };
  }

  async values(names: string[]): Promise<Record<string, string>> {
    return (await this.run(':', names)).values;
  }

  async close(): Promise<void> {
    this.child.stdin.end();
    await this.exited;
  }
}

/** A ```js example started in the background, as in a second terminal. */
interface Script {
  example: Example;
  output: () => string;
  exited: Promise<number | null>;
  kill: () => void;
}

/** Last month, UTC: `YYYY-MM` and when it started. */
function lastMonth(): { month: string; start: Date } {
  const now = new Date();
  const start = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 1, 1));
  return { month: start.toISOString().slice(0, 7), start };
}

describe(`the examples of ${PAGES.join(' and ')}, run in order against a fresh Awan`, () => {
  const examples = PAGES.flatMap((page) => examplesOf(page, readFileSync(path.join(ROOT, page), 'utf8')));
  let awan: TestAwan;
  let shell: DocShell;
  let workDir: string;
  /** The NATS of that Awan as network (to stand in for last month's events) and as the gateway (to close the month). */
  let network: NatsConnection;
  let operator: TestServiceClient;
  const scripts: Script[] = [];

  beforeAll(async () => {
    awan = await startTestAwan('docs_e2e', {}, { localAgent: false });
    workDir = mkdtempSync(path.join(os.tmpdir(), 'awan-docs-'));
    const { AWAN_URL: _url, ADMIN_KEY: _key, ...inherited } = process.env;
    shell = new DocShell(workDir, { ...inherited, AWAN_URL: awan.url, ADMIN_KEY: awan.adminKey });
    network = await connect({ servers: awan.natsUrl, ...credentialsOptions(awan.natsCredentials('network')) });
    operator = await connectServiceClient('docs-e2e', awan.natsUrl, awan.natsCredentials('gateway'));
  }, 240_000);

  afterAll(async () => {
    for (const script of scripts) script.kill();
    await shell?.close();
    await network?.close();
    await operator?.close();
    await awan?.stop();
    if (workDir) rmSync(workDir, { recursive: true, force: true });
  }, 120_000);

  /**
   * What a month does on a new installation, which the docs say the test does here: the customer
   * held a floating IPv4 address for ten days of last month (network's events, published as its
   * relay would have then), and billing closes last month as its job does after a month ends.
   */
  async function standInForLastMonth(customerId: string): Promise<void> {
    const { month, start } = lastMonth();
    const day = (n: number) => new Date(start.getTime() + n * 86_400_000);
    const ipId = randomUUID();
    const allocated = { ipId, address: '198.51.100.77', family: 'IPV4', regionId: 'local', accountId: customerId, floating: true, poolId: 'docs', prefixLength: 25, gateway: '198.51.100.1' };
    await publishEvent(network, 'network', eventEnvelope(`ip-${ipId}`, 'IpAllocated', 1, allocated, day(2)));
    await publishEvent(network, 'network', eventEnvelope(`ip-${ipId}`, 'IpReleased', 2, { ipId }, day(12)));
    const finance = new GraphqlClient(awan.url, awan.adminKey);
    await waitFor(async () => {
      await operator.client.call('billing.invoice.closeMonth', { accountIds: PLATFORM_SCOPE, month });
      const { invoices } = await finance.data<{ invoices: { edges: { node: { periodStart: string } }[] } }>(
        `{ invoices(accountId: "${customerId}", status: DRAFT) { edges { node { periodStart } } } }`,
      );
      return invoices.edges.some((edge) => edge.node.periodStart.startsWith(month));
    }, 60_000, `the draft of ${month} for the customer`);
  }

  async function runGraphql(example: Example): Promise<void> {
    const keyName = keyOf(example)!;
    const names = readBy(example);
    const values = await shell.values(names);
    const substitute = (value: unknown): unknown => {
      if (typeof value === 'string') {
        const name = /^\$([A-Z][A-Z0-9_]*)$/.exec(value)?.[1];
        return name ? values[name] : value;
      }
      if (Array.isArray(value)) return value.map(substitute);
      if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, substitute(v)]));
      return value;
    };
    const variables = example.variables === undefined ? undefined : (substitute(JSON.parse(example.variables)) as Record<string, unknown>);
    const answer = await new GraphqlClient(awan.url, values[keyName]).request(example.text, variables);
    expect([example.name, answer.errors ?? []]).toEqual([example.name, []]);
    expect([example.name, answer.data]).toEqual([example.name, expect.any(Object)]);
  }

  async function runShell(example: Example): Promise<void> {
    const assigned = assignedBy(example);
    const { stdout, values } = await shell.run(example.text, assigned);
    const answers = stdout.split('\n').flatMap((line) => {
      try {
        const parsed = JSON.parse(line) as { errors?: { extensions?: { code?: string } }[] };
        return parsed && typeof parsed === 'object' ? [parsed] : [];
      } catch {
        return [];
      }
    });
    if (example.expect) {
      expect([example.name, answers.flatMap((a) => a.errors ?? []).map((e) => e.extensions?.code)]).toEqual([example.name, [example.expect]]);
    } else {
      expect([example.name, answers.flatMap((a) => a.errors ?? [])]).toEqual([example.name, []]);
    }
    // What later examples need came from this one.
    for (const name of assigned) expect([example.name, name, values[name]]).toEqual([example.name, name, expect.stringMatching(/^(?!null$)./)]);
  }

  async function startScript(example: Example): Promise<void> {
    const env = await shell.values(readBy(example));
    const child = spawn(process.execPath, ['--input-type=module', '-e', example.text], { cwd: ROOT, env: { ...process.env, ...env } });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    scripts.push({ example, output: () => output, exited, kill: () => child.kill('SIGKILL') });
    // A reader starts it and goes on once it says it is listening.
    await waitFor(() => {
      if (child.exitCode !== null) throw new Error(`${example.name} exited (${child.exitCode}) at once:\n${output}`);
      return output.length > 0;
    }, 30_000, `${example.name} to start`);
  }

  it('each example answers without errors, and gives the later ones what they need', async () => {
    expect(orderProblems(examples)).toEqual([]);
    let monthClosed = false;
    for (const example of examples) {
      if (example.section === MONTH_CLOSE_SECTION && !monthClosed) {
        await standInForLastMonth((await shell.values(['CUSTOMER_ID'])).CUSTOMER_ID);
        monthClosed = true;
      }
      try {
        if (example.kind === 'sh') await runShell(example);
        else if (example.kind === 'graphql') await runGraphql(example);
        else await startScript(example);
      } catch (error) {
        throw new Error(`${example.name} failed: ${(error as Error).message}`);
      }
    }
    // The scripts of a second terminal have done their job by now.
    for (const script of scripts) {
      const code = await Promise.race([script.exited, new Promise<'running'>((resolve) => setTimeout(() => resolve('running'), 30_000).unref())]);
      expect([script.example.name, code, script.output()]).toEqual([script.example.name, 0, expect.any(String)]);
    }
  }, 900_000);
});
