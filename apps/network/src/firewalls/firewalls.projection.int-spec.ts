import { randomUUID } from 'node:crypto';
import { SYSTEM_ACTOR, type EventMetadata, type FirewallRule } from '#libs/contracts';
import { createPool, EventStore, fold, handleCommand, readState, rebuildProjection, type RecordedEvent } from '#libs/event-store';
import { migrateEventStore } from '#libs/event-sourcing';
import { createTestDatabase, TEST_DATABASE_URL, waitFor, type TestDatabase } from '#libs/testing';
import { networkEventStore } from '../network.event-store.js';
import { firewallDecider, firewallStreamId, type AttachTarget, type FirewallCommand } from './firewall.decider.js';
import { firewallLimitSettings } from './firewalls.js';
import { firewallsProjection } from './firewalls.projection.js';

const metadata: EventMetadata = { correlationId: 'c-firewalls', causationId: null, actor: SYSTEM_ACTOR };
const ssh: FirewallRule = { direction: 'INGRESS', protocol: 'TCP', ports: '22', addresses: ['0.0.0.0/0', '::/0'], description: 'ssh' };
const web: FirewallRule = { direction: 'INGRESS', protocol: 'TCP', ports: '8000-8100', addresses: ['198.51.100.0/24'], description: null };

const instance = (instanceId: string = randomUUID()): AttachTarget => ({ instanceId, accountId: 'acme', ended: false, firewalls: 0 });
const kept = firewallsProjection.keeps!;

describe('the firewalls projection on PostgreSQL', () => {
  let db: TestDatabase;
  let store: EventStore;

  beforeAll(async () => {
    db = await createTestDatabase('network');
    await migrateEventStore(db.pool, { ...networkEventStore, service: db.schema });
    store = new EventStore(db.pool, db.schema, networkEventStore.projections);
  });
  afterAll(() => db.close());

  it("keeps each firewall's state as its stream folds it, which its commands decide from, and never one behind its stream", async () => {
    const firewallId = randomUUID();
    const streamId = firewallStreamId(firewallId);
    const decide = (command: FirewallCommand) => handleCommand(store, streamId, firewallDecider, command, metadata);
    const folded = async () => fold(firewallDecider, (await store.readStream(streamId)) as never);

    const first = [instance(), instance()];
    await decide({ type: 'CreateFirewall', firewallId, accountId: 'acme', name: 'web', rules: [ssh], instances: first });
    // Instances come and go, as an account's made and deleted by Terraform do: the firewall's stream grows with them.
    const attached = first.map((target) => target.instanceId);
    for (let round = 0; round < 40; round++) {
      const target = instance();
      await decide({ type: 'AttachFirewall', instance: target });
      attached.push(target.instanceId);
      if (round % 3 === 0) await decide({ type: 'DetachFirewall', instanceId: attached.splice(round % attached.length, 1)[0], reason: 'instance deleted' });
      if (round === 20) await decide({ type: 'SetFirewallRules', rules: [ssh, web] });
    }
    // Detached and attached again: last in the order attached.
    await decide({ type: 'DetachFirewall', instanceId: attached[0], reason: 'detached' });
    await decide({ type: 'AttachFirewall', instance: instance(attached[0]) });
    attached.push(attached.shift()!);

    const history = await store.readStream(streamId);
    expect(history.length).toBeGreaterThan(55);
    const state = await folded();
    expect(state).toMatchObject({ status: 'ACTIVE', rules: [ssh, web], instanceIds: attached });
    expect(await kept.read(db.pool, streamId)).toEqual({ state, version: history.length });
    expect(await readState(store, streamId, firewallDecider)).toEqual({ state, version: history.length });

    for (const instanceId of attached) await decide({ type: 'DetachFirewall', instanceId, reason: 'detached' });
    await decide({ type: 'DeleteFirewall' });
    expect(await kept.read(db.pool, streamId)).toEqual({ state: await folded(), version: history.length + attached.length + 1 });
    expect((await folded()).status).toBe('DELETED');

    // A row behind its stream (as if an event were not projected) is not decided on: the stream is folded.
    await db.pool.query('UPDATE firewalls SET version = version - 1 WHERE id = $1', [firewallId]);
    expect(await kept.read(db.pool, streamId)).toBeNull();
    expect(await readState(store, streamId, firewallDecider)).toEqual({ state: await folded(), version: history.length + attached.length + 1 });
    expect(await kept.read(db.pool, firewallStreamId(randomUUID()))).toBeNull();
    expect(await kept.read(db.pool, 'firewall-not-a-uuid')).toBeNull();
  });

  it("counts an account's live firewalls at each create's commit, those committed meanwhile among them, and not in a rebuild", async () => {
    // As network's sessions are: a limit of 2 an account.
    const limited = createPool(TEST_DATABASE_URL, { schema: db.schema, settings: firewallLimitSettings(2) });
    const within = new EventStore(limited, db.schema, networkEventStore.projections);
    const create = (accountId: string, name: string, into = within) => {
      const firewallId = randomUUID();
      return handleCommand(into, firewallStreamId(firewallId), firewallDecider, { type: 'CreateFirewall', firewallId, accountId, name, rules: [ssh], instances: [] }, metadata)
        .then(() => firewallId);
    };
    const live = async (accountId: string) => (await db.pool.query('SELECT name FROM firewalls WHERE account_id = $1 AND deleted_at IS NULL ORDER BY name', [accountId])).rows;
    try {
      // Five at once, as Terraform makes them: two are made, each other refused with the count, itself among it.
      const outcomes = await Promise.allSettled(['a', 'b', 'c', 'd', 'e'].map((name) => create('terraform', name)));
      const made = outcomes.flatMap((outcome) => (outcome.status === 'fulfilled' ? [outcome.value] : []));
      expect(made).toHaveLength(2);
      expect(outcomes.filter((outcome) => outcome.status === 'rejected')).toEqual(Array(3).fill({ status: 'rejected', reason: expect.objectContaining({ code: 'AWQ01', detail: '3' }) }));
      expect(await live('terraform')).toHaveLength(2);
      // A deleted one makes room; another account's are its own.
      await handleCommand(within, firewallStreamId(made[0]), firewallDecider, { type: 'DeleteFirewall' }, metadata);
      await create('terraform', 'f');
      await create('other', 'g');

      // A create's commit waits for the account's lock, held here by a session that has recorded one, then counts it.
      const [holder, waiter] = [await limited.connect(), await limited.connect()];
      const record = (tx: typeof holder, name: string) => tx.query(
        "INSERT INTO firewalls (id, position, account_id, name, rules, created_at) VALUES ($1, 0, 'raced', $2, '[]', now())", [randomUUID(), name],
      );
      try {
        await holder.query('BEGIN');
        await holder.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', ['firewalls:raced']);
        await record(holder, 'first');
        await record(holder, 'second');
        const { rows: [{ pid }] } = await waiter.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
        await waiter.query('BEGIN');
        await record(waiter, 'waiting');
        const committed = waiter.query('COMMIT');
        await waitFor(async () => (await db.pool.query(`SELECT 1 FROM pg_stat_activity WHERE pid = $1 AND wait_event_type = 'Lock'`, [pid])).rows.length > 0, 10_000, 'the commit to wait on the lock');
        await holder.query('COMMIT'); // its count: 2, within the limit
        // Counted once the lock was had, not as the commit began: the holder's two too.
        await expect(committed).rejects.toMatchObject({ code: 'AWQ01', detail: '3' });
      } finally {
        holder.release();
        waiter.release();
        // The rows have no events: a rebuild would not know them.
        await db.pool.query("DELETE FROM firewalls WHERE account_id = 'raced'");
      }

      // Made within the limit of their day (none then), replayed within today's: the rebuild keeps them all.
      for (const name of ['h', 'i', 'j']) await create('earlier', name, store);
      // This test's accounts (the test above left a row behind its stream on purpose, which a rebuild mends).
      const rows = async () => (await db.pool.query("SELECT * FROM firewalls WHERE account_id <> 'acme' ORDER BY id")).rows;
      const before = await rows();
      await rebuildProjection(within, 'firewalls');
      expect(await rows()).toEqual(before);
      expect(await live('earlier')).toHaveLength(3);
    } finally {
      await limited.end();
    }
  });

  it("gives the firewalls an installation had before their versions were kept their streams' versions", async () => {
    const upgraded = await createTestDatabase('network');
    try {
      await migrateEventStore(upgraded.pool, { ...networkEventStore, service: upgraded.schema, migrations: networkEventStore.migrations.filter((m) => m.id !== '0241-firewall-versions') });
      // The events as they were written then, and the rows the projection wrote from them.
      const firewallId = randomUUID();
      const streamId = firewallStreamId(firewallId);
      const plain = new EventStore(upgraded.pool, upgraded.schema);
      const events = firewallDecider.decide({ type: 'CreateFirewall', firewallId, accountId: 'acme', name: 'old', rules: [ssh], instances: [instance()] }, firewallDecider.initialState());
      const recorded: RecordedEvent[] = await plain.append(streamId, events, { expectedVersion: 0, metadata });
      await upgraded.pool.query(
        "INSERT INTO firewalls (id, position, account_id, name, rules, created_at) VALUES ($1, $2, 'acme', 'old', $3, now())",
        [firewallId, recorded[0].globalPosition, JSON.stringify([ssh])],
      );
      await upgraded.pool.query('INSERT INTO firewall_attachments (firewall_id, instance_id, position) VALUES ($1, $2, $3)', [
        firewallId, (recorded[1].data as { instanceId: string }).instanceId, recorded[1].globalPosition,
      ]);

      await migrateEventStore(upgraded.pool, { ...networkEventStore, service: upgraded.schema });
      expect(await kept.read(upgraded.pool, streamId)).toEqual({ state: fold(firewallDecider, recorded as never), version: 2 });
    } finally {
      await upgraded.close();
    }
  });
});
