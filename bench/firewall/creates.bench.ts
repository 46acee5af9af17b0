// One account's firewalls created at once, as Terraform creates them: 50 callers asking the built
// network service over NATS for CREATES firewalls of one account, beside the same creates each made
// for an account of its own (no two wait on one account's lock), in alternating rounds of the same
// run. What it tells is what counting an account's firewalls against FIREWALLS_PER_ACCOUNT costs
// its parallel creates. Prints JSON last: creates/s, latency, and the median of the rounds' ratios.
// Needs PostgreSQL (DATABASE_URL as for the tests) and nats-server, run on a port of the bench's own.
// Usage: npm run bench:firewall-creates   (BENCH_CREATES, default 500 a round)
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { FirewallRule } from '#libs/contracts';
import { connectServiceClient, createServiceDatabase, runBuilt, uniqueName, waitFor } from '#libs/testing';
import { startNatsServer } from '../../scripts/embedded-servers.js';
import { loadAverage, median, quantile } from '../common/topologies.js';

const CALLERS = 50;
const CREATES = Number(process.env.BENCH_CREATES ?? 500);
/** Rounds of each kind, after one each to warm up. */
const ROUNDS = 6;
const rule: FirewallRule = { direction: 'INGRESS', protocol: 'ICMP', ports: null, addresses: ['0.0.0.0/0'], description: null };

const natsDir = mkdtempSync(path.join(os.tmpdir(), 'awan-firewall-creates-'));
const nats = await startNatsServer(natsDir, () => undefined, null);
const database = await createServiceDatabase('awan_bench_');
const caller = await connectServiceClient('firewall-creates-bench', nats.url);
// A limit no round reaches: each is counted all the same.
const network = runBuilt('dist/apps/network/src/main.js', { DATABASE_URL: database.url, NATS_URL: nats.url, PORT: '0', DNS_PORT: '0', FIREWALLS_PER_ACCOUNT: String(CREATES * (ROUNDS + 1)) });
await waitFor(() => caller.client.call('network.health', {}, 1000).then(() => true, () => false), 30_000, 'network to answer');

/** CREATES creates by CALLERS callers, the n-th for `accountOf(caller)`. */
async function measure(accountOf: (caller: number) => string) {
  const latencies: number[] = [];
  let next = 0;
  const started = process.hrtime.bigint();
  await Promise.all(Array.from({ length: CALLERS }, async (_, n) => {
    const accountId = accountOf(n);
    while (next < CREATES) {
      const name = `fw-${next++}`;
      const asked = process.hrtime.bigint();
      await caller.client.call('network.firewall.create', { accountId, accountIds: [accountId], input: { name, rules: [rule] } }, 30_000);
      latencies.push(Number(process.hrtime.bigint() - asked) / 1e6);
    }
  }));
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return { createsPerSecond: Math.round(CREATES / seconds), p50Ms: Math.round(quantile(latencies, 0.5)), p99Ms: Math.round(quantile(latencies, 0.99)) };
}

const oneAccount = () => {
  const accountId = uniqueName('acct-');
  return measure(() => accountId);
};
const ownAccounts = () => {
  const accounts = Array.from({ length: CALLERS }, () => uniqueName('acct-'));
  return measure((n) => accounts[n]);
};

try {
  await oneAccount();
  await ownAccounts();
  const rounds: { oneAccount: Awaited<ReturnType<typeof measure>>; ownAccounts: Awaited<ReturnType<typeof measure>> }[] = [];
  for (let n = 0; n < ROUNDS; n++) {
    // Each first in turn.
    if (n % 2 === 0) rounds.push({ oneAccount: await oneAccount(), ownAccounts: await ownAccounts() });
    else rounds.push({ ownAccounts: await ownAccounts(), oneAccount: await oneAccount() });
  }
  const medians = (kind: 'oneAccount' | 'ownAccounts') => ({
    createsPerSecond: median(rounds.map((round) => round[kind].createsPerSecond)),
    p50Ms: median(rounds.map((round) => round[kind].p50Ms)),
    p99Ms: median(rounds.map((round) => round[kind].p99Ms)),
  });
  console.log(JSON.stringify({
    callers: CALLERS, createsPerRound: CREATES, cores: os.cpus().length, loadAverage: loadAverage(),
    oneAccount: medians('oneAccount'),
    ownAccounts: medians('ownAccounts'),
    ratio: Math.round(median(rounds.map((round) => round.oneAccount.createsPerSecond / round.ownAccounts.createsPerSecond)) * 100) / 100,
    rounds,
  }, null, 2));
} finally {
  network.child.kill('SIGTERM');
  await network.exited;
  await caller.close();
  await database.drop();
  await nats.stop();
  rmSync(natsDir, { recursive: true, force: true });
}
