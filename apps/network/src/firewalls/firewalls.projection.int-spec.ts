import { randomUUID } from 'node:crypto';
import { SYSTEM_ACTOR, type EventMetadata, type FirewallRule } from '#libs/contracts';
import { EventStore, fold, handleCommand, readState, type RecordedEvent } from '#libs/event-store';
import { migrateEventStore } from '#libs/event-sourcing';
import { createTestDatabase, type TestDatabase } from '#libs/testing';
import { networkEventStore } from '../network.event-store.js';
import { firewallDecider, firewallStreamId, type AttachTarget, type FirewallCommand } from './firewall.decider.js';
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
  });
  afterAll(() => db.close());

  it("keeps each firewall's state as its stream folds it, which its commands decide from, and never one behind its stream", async () => {
    await migrateEventStore(db.pool, { ...networkEventStore, service: db.schema });
    store = new EventStore(db.pool, db.schema, networkEventStore.projections);
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
