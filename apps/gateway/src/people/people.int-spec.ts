import { PLATFORM_SCOPE, type Scope } from '#libs/contracts';
import { migrate, withTransaction } from '#libs/event-store';
import { inScope } from '#libs/messaging';
import { createTestDatabase, waitFor, type TestDatabase } from '#libs/testing';
import { identityMigrations } from '../identity/identity.migrations.js';
import { IdentityRepository } from '../identity/identity.repository.js';
import type { AccountView, Identity, Viewer } from '../identity/identity.js';
import { LinkMails } from './link-mails.js';
import type { Mail, Mailer } from './mailer.js';
import { peopleMigrations } from './people.migrations.js';
import { LINKS_PER_DAY, People, type PeopleConfig } from './people.js';
import { base32Decode, hotp, totpStep } from './totp.js';

const config: PeopleConfig = {
  sessionTtlMs: 3_600_000, linkTtlMs: 3_600_000, signIn: { maxFailures: 3, maxFailuresPerAddress: 8, windowMs: 60_000 }, smtpUrl: null, mailFrom: 'x@y.test', mailRetryMs: 60_000,
  linkBase: 'https://console.example.test',
};
const PASSWORD = 'a long enough password';

/** People on real PostgreSQL: identity's accounts table and people's own, a mailer that keeps what it is given. */
describe('people', () => {
  let database: TestDatabase;
  let identity: Pick<Identity, 'account'>;
  let people: People;
  const mails: Mail[] = [];
  const mailer: Mailer = { send: async (mail) => void mails.push(mail) };
  const admin: Viewer = { apiKeyId: 'k-admin', accountId: 'platform', accountKind: 'PLATFORM', accountStatus: 'ACTIVE', role: 'ADMIN', accountIds: PLATFORM_SCOPE };
  const reseller: Viewer = { apiKeyId: 'k-res', accountId: 'res', accountKind: 'RESELLER', accountStatus: 'ACTIVE', role: 'RESELLER', accountIds: ['res', 'cust-a'] };

  const linkMails = (mailer: Mailer, mailRetryMs = config.mailRetryMs) => new LinkMails(database.pool, mailer, { ...config, mailRetryMs, issuer: 'Awan test' });
  const peopleMailing = (links: LinkMails) => new People(database.pool, identity, links, config, 'Awan test');
  const linkOf = (mail: Mail) => /^https:\/\/console\.example\.test\/set-password\?token=([\w-]{43})$/m.exec(mail.text)![1];
  async function invited(viewer: Viewer, accountId: string, email: string, role = 'CUSTOMER') {
    const { user } = await people.invite(viewer, { accountId, email, name: 'Someone', role });
    const token = linkOf(mails.at(-1)!);
    await people.setPassword({ token, password: PASSWORD });
    return user;
  }
  const signedIn = async (email: string, password = PASSWORD, address = '10.0.0.1', totp?: string) => {
    const result = await people.signIn({ email, password, totp }, address);
    if ('status' in result) throw new Error(`${result.status} ${result.message}`);
    return result;
  };

  beforeAll(async () => {
    database = await createTestDatabase('people');
    await migrate(database.pool, database.schema, [...identityMigrations, ...peopleMigrations]);
    await database.pool.query(
      `INSERT INTO accounts (id, name, kind, parent_id, currency, tax_rate, status, created_at) VALUES
         ('platform', 'P', 'PLATFORM', NULL, 'EUR', 0, 'ACTIVE', now()), ('res', 'R', 'RESELLER', 'platform', 'EUR', 0, 'ACTIVE', now()),
         ('cust-a', 'A', 'CUSTOMER', 'res', 'EUR', 0, 'ACTIVE', now()), ('cust-b', 'B', 'CUSTOMER', 'platform', 'EUR', 0, 'ACTIVE', now())`,
    );
    identity = {
      account: async (id: string, scope: Scope) => {
        if (!inScope(id, scope)) return null;
        const { rows } = await database.pool.query<AccountView>('SELECT id, kind, status FROM accounts WHERE id = $1', [id]);
        return rows[0] ?? null;
      },
    };
    people = peopleMailing(linkMails(mailer));
  });

  afterAll(() => database.close());

  it('invites, sets a password once from the link, signs in to the viewer a key would be, and signs out', async () => {
    const { user, mailSent } = await people.invite(reseller, { accountId: 'cust-a', email: 'Ana@Example.test', name: 'Ana', role: 'CUSTOMER' });
    expect(user).toMatchObject({ accountId: 'cust-a', email: 'Ana@Example.test', role: 'CUSTOMER', totpEnabled: false, passwordSetAt: null });
    expect(mailSent).toBe(true);
    expect(mails.at(-1)).toMatchObject({ to: 'Ana@Example.test', subject: 'Awan test: you are invited' });
    const token = linkOf(mails.at(-1)!);
    await expect(people.setPassword({ token, password: 'short' })).rejects.toMatchObject({ code: 'BAD_USER_INPUT', field: 'password' });
    expect((await people.setPassword({ token, password: PASSWORD })).passwordSetAt).not.toBeNull();
    await expect(people.setPassword({ token, password: PASSWORD })).rejects.toMatchObject({ code: 'BAD_USER_INPUT', field: 'token' });
    const { rows } = await database.pool.query('SELECT password_hash FROM users WHERE id = $1', [user.id]);
    expect(rows[0].password_hash).toMatch(/^scrypt\$/);

    const session = await signedIn('ana@example.TEST');
    const holder = (await people.session(session.token))!;
    expect(holder.viewer).toEqual({
      apiKeyId: `session:${holder.sessionId}`, accountId: 'cust-a', accountKind: 'CUSTOMER', accountStatus: 'ACTIVE', role: 'CUSTOMER', accountIds: ['cust-a'],
    });
    const { rows: stored } = await database.pool.query('SELECT token_hash, csrf_hash FROM sessions WHERE id = $1', [holder.sessionId]);
    expect(JSON.stringify(stored)).not.toContain(session.token);
    expect(JSON.stringify(stored)).not.toContain(session.csrfToken);

    const repository = new IdentityRepository(database.pool);
    expect((await repository.keyStandings([holder.viewer.apiKeyId])).get(holder.viewer.apiKeyId)).toEqual({ revoked: false, accountStatus: 'ACTIVE' });
    expect(await people.signOut(session.token)).toBe(true);
    expect(await people.session(session.token)).toBeNull();
    expect((await repository.keyStandings([holder.viewer.apiKeyId])).get(holder.viewer.apiKeyId)).toEqual({ revoked: true, accountStatus: 'ACTIVE' });
  });

  it("refuses a second person of an email in any case, an account beyond the caller's tree, and FINANCE", async () => {
    await expect(people.invite(admin, { accountId: 'cust-b', email: 'ANA@example.test', name: 'Ana 2', role: 'CUSTOMER' }))
      .rejects.toMatchObject({ code: 'CONFLICT', field: 'email' });
    await expect(people.invite(reseller, { accountId: 'cust-b', email: 'bo@example.test', name: 'Bo', role: 'CUSTOMER' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(people.invite({ ...reseller, role: 'FINANCE' }, { accountId: 'cust-a', email: 'bo@example.test', name: 'Bo', role: 'CUSTOMER' }))
      .rejects.toMatchObject({ code: 'FORBIDDEN' });
    expect((await people.users(reseller)).map((u) => u.email)).toEqual(['Ana@Example.test']);
  });

  it('a reseller person sees its customers; a session past its expiry is refused', async () => {
    await invited(admin, 'res', 'rita@reseller.test', 'RESELLER');
    const session = await signedIn('rita@reseller.test');
    const holder = (await people.session(session.token))!;
    expect(holder.viewer.accountIds).toEqual(['res', 'cust-a']);
    await database.pool.query("UPDATE sessions SET expires_at = now() - interval '1 second' WHERE id = $1", [holder.sessionId]);
    expect(await people.session(session.token)).toBeNull();
  });

  it('locks an email after its failures, even for the right password, and an address after its own', async () => {
    await invited(admin, 'cust-b', 'carl@example.test');
    for (let i = 0; i < 3; i++) expect(await people.signIn({ email: 'carl@example.test', password: 'wrong password!' }, '10.0.0.2')).toMatchObject({ status: 401, code: 'UNAUTHENTICATED' });
    expect(await people.signIn({ email: 'carl@example.test', password: PASSWORD }, '10.0.0.3')).toMatchObject({ status: 429, code: 'RATE_LIMITED', retryAfter: expect.any(Number) });
    // The address 10.0.0.2 failed three times; five more (unknown emails among them) lock it for everyone.
    for (let i = 0; i < 5; i++) await people.signIn({ email: `nobody${i}@example.test`, password: 'wrong password!' }, '10.0.0.2');
    expect(await people.signIn({ email: 'ana@example.test', password: PASSWORD }, '10.0.0.2')).toMatchObject({ status: 429, message: expect.stringContaining('from this address') });
    expect(await people.signIn({ email: 'ana@example.test', password: PASSWORD }, '10.0.0.4')).toHaveProperty('token');
    expect(await people.signIn({ email: 'x', password: PASSWORD }, '10.0.0.4')).toMatchObject({ status: 400, field: 'email' });
  });

  it('turns TOTP on with a code of the offered secret; then sign-in wants a code, each good once', async () => {
    await invited(admin, 'cust-b', 'dora@example.test');
    const holder = (await people.session((await signedIn('dora@example.test', PASSWORD, '10.0.0.5')).token))!;
    const { secret, uri } = await people.beginTotp(holder);
    expect(uri).toContain(`secret=${secret}`);
    const code = (offset = 0) => hotp(base32Decode(secret), totpStep(Date.now()) + offset);
    await expect(people.confirmTotp(holder, { code: '12' })).rejects.toMatchObject({ field: 'code' });
    expect((await people.confirmTotp(holder, { code: code(-1) })).totpEnabled).toBe(true);
    expect(await people.signIn({ email: 'dora@example.test', password: PASSWORD }, '10.0.0.5')).toMatchObject({ status: 401, field: 'totp' });
    const now = code();
    expect(await people.signIn({ email: 'dora@example.test', password: PASSWORD, totp: now }, '10.0.0.5')).toHaveProperty('token');
    expect(await people.signIn({ email: 'dora@example.test', password: PASSWORD, totp: now }, '10.0.0.5')).toMatchObject({ status: 401, field: 'totp' });
    await expect(people.disableTotp(holder, { code: now })).rejects.toMatchObject({ code: 'BAD_USER_INPUT', field: 'code' }); // used already
    // While it is on, no session alone makes it another's: a new secret is refused until it is turned off with a code.
    await expect(people.beginTotp(holder)).rejects.toMatchObject({ code: 'CONFLICT', message: 'TOTP is on already: turn it off with a current code first' });
    expect((await people.disableTotp(holder, { code: code(1) })).totpEnabled).toBe(false);
    expect(await people.signIn({ email: 'dora@example.test', password: PASSWORD }, '10.0.0.5')).toHaveProperty('token');
  });

  it('mails a new link on request to a person there is, at most once a minute, and says nothing of one there is not', async () => {
    await invited(admin, 'cust-b', 'emil@example.test');
    const session = await signedIn('emil@example.test', PASSWORD, '10.0.0.6');
    await database.pool.query("UPDATE user_links SET created_at = now() - interval '2 minutes'");
    const before = mails.length;
    await people.requestPasswordReset({ email: 'nobody@example.test' });
    await people.requestPasswordReset({ email: 'EMIL@example.test' });
    await people.requestPasswordReset({ email: 'emil@example.test' });
    expect(mails.slice(before).map((m) => [m.to, m.subject])).toEqual([['emil@example.test', 'Awan test: set a new password']]);
    await expect(people.requestPasswordReset({ email: 'emil' })).rejects.toMatchObject({ field: 'email' });
    await people.setPassword({ token: linkOf(mails.at(-1)!), password: 'another long password' });
    expect(await people.session(session.token)).toBeNull(); // a new password ends the sessions of the old
    expect(await people.signIn({ email: 'emil@example.test', password: 'another long password' }, '10.0.0.6')).toHaveProperty('token');
  });

  it('mails one person at most LINKS_PER_DAY links a day, however far apart they are asked for', async () => {
    await invited(admin, 'cust-b', 'ida@example.test');
    const before = mails.length;
    for (let i = 1; i < LINKS_PER_DAY + 3; i++) {
      await database.pool.query("UPDATE user_links SET created_at = created_at - interval '2 minutes'"); // past the one link a minute
      await people.requestPasswordReset({ email: 'ida@example.test' });
    }
    await new Promise((resolve) => setTimeout(resolve, 100)); // mailed after commit
    // The invitation and the resets: LINKS_PER_DAY in all.
    expect(mails.slice(before - 1).filter((m) => m.to === 'ida@example.test')).toHaveLength(LINKS_PER_DAY);
    await database.pool.query("UPDATE user_links SET created_at = created_at - interval '1 day'");
    await people.requestPasswordReset({ email: 'ida@example.test' });
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(mails.at(-1)).toMatchObject({ to: 'ida@example.test', subject: 'Awan test: set a new password' });
    expect(mails.filter((m) => m.to === 'ida@example.test')).toHaveLength(LINKS_PER_DAY + 1);
  });

  it('mails one link to ten requests of one email at once, and answers them all the same', async () => {
    await invited(admin, 'cust-b', 'fay@example.test');
    await database.pool.query("UPDATE user_links SET created_at = now() - interval '2 minutes'");
    // A mail server that takes its time: each request waits its turn at the person's row meanwhile.
    const sent: Mail[] = [];
    const slow: Mailer = { send: async (mail) => void (await new Promise((resolve) => setTimeout(resolve, 200)), sent.push(mail)) };
    const patient = peopleMailing(linkMails(slow));
    await Promise.all(Array.from({ length: 10 }, () => patient.requestPasswordReset({ email: 'fay@example.test' })));
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(sent.map((m) => m.to)).toEqual(['fay@example.test']);
  });

  it('answers a reset before its mail is sent, and tells the caller nothing of a mail server that fails', async () => {
    await invited(admin, 'cust-b', 'gus@example.test');
    await database.pool.query("UPDATE user_links SET created_at = now() - interval '2 minutes'");
    let sent: (mail: Mail) => void = () => undefined;
    const sending = new Promise<Mail>((resolve) => (sent = resolve));
    const failing: Mailer = { send: async (mail) => { sent(mail); throw new Error('connect ECONNREFUSED 10.0.3.7:587'); } };
    const quiet = peopleMailing(linkMails(failing));
    await expect(quiet.requestPasswordReset({ email: 'gus@example.test' })).resolves.toBeUndefined();
    expect((await sending).subject).toBe('Awan test: set a new password');
  });

  it('sets a password from one link, after which the person\'s other links set none; a made-up token is refused first', async () => {
    await people.invite(admin, { accountId: 'cust-b', email: 'hal@example.test', name: 'Hal', role: 'CUSTOMER' });
    const invitation = linkOf(mails.at(-1)!);
    await database.pool.query("UPDATE user_links SET created_at = now() - interval '2 minutes'");
    await people.requestPasswordReset({ email: 'hal@example.test' });
    const reset = linkOf(mails.at(-1)!);
    expect(reset).not.toBe(invitation);
    await expect(people.setPassword({ token: 'A'.repeat(43), password: PASSWORD })).rejects.toMatchObject({ code: 'BAD_USER_INPUT', field: 'token' });
    await people.setPassword({ token: reset, password: PASSWORD });
    await expect(people.setPassword({ token: invitation, password: 'the invitation in a mailbox' })).rejects.toMatchObject({ code: 'BAD_USER_INPUT', field: 'token' });
    expect(await people.signIn({ email: 'hal@example.test', password: PASSWORD }, '10.0.0.7')).toHaveProperty('token');
  });

  describe('mails that could not be sent', () => {
    /** The person's newest link: whether its mail went out, its tries, how it last failed, and the seconds to its next try. */
    const linkState = async (email: string) =>
      (await database.pool.query<{ mailed: boolean; attempts: number; error: string | null; wait: number | null }>(
        `SELECT l.mailed_at IS NOT NULL AS mailed, l.mail_attempts AS attempts, l.mail_error AS error, extract(epoch FROM l.mail_due_at - now())::float8 AS wait
         FROM user_links l JOIN users u ON u.id = l.user_id WHERE u.email = $1 ORDER BY l.created_at DESC LIMIT 1`,
        [email],
      )).rows[0];
    // Time passing, for one person's links: their next try is due now.
    const dueNow = (email: string) =>
      database.pool.query('UPDATE user_links l SET mail_due_at = now() FROM users u WHERE u.id = l.user_id AND u.email = $1 AND l.mail_due_at IS NOT NULL', [email]);
    /** A mail server that refuses while `down`, and keeps what it takes. */
    const mailServer = () => {
      const server = { down: true, tries: 0, taken: [] as Mail[], mailer: undefined as unknown as Mailer };
      server.mailer = {
        send: async (mail) => {
          server.tries++;
          if (server.down) throw new Error('connect ECONNREFUSED 192.0.2.25:587');
          server.taken.push(mail);
        },
      };
      return server;
    };

    it('tries a reset mail again, each wait twice the last, until the mail server takes it, and its link works', async () => {
      await invited(admin, 'cust-b', 'ivy@example.test');
      await database.pool.query("UPDATE user_links SET created_at = now() - interval '2 minutes'");
      const server = mailServer();
      const links = linkMails(server.mailer);
      await peopleMailing(links).requestPasswordReset({ email: 'ivy@example.test' });
      await waitFor(async () => (await linkState('ivy@example.test')).error !== null, 5000, 'the failure recorded');
      expect(await linkState('ivy@example.test')).toMatchObject({ mailed: false, attempts: 0, error: 'connect ECONNREFUSED 192.0.2.25:587' });
      expect((await linkState('ivy@example.test')).wait).toBeGreaterThan(50);
      await links.round();
      expect(server.tries).toBe(1); // not due yet
      for (const [attempts, wait] of [[1, 120], [2, 240], [3, 480]]) {
        await dueNow('ivy@example.test');
        await links.round();
        const link = await linkState('ivy@example.test');
        expect(link).toMatchObject({ mailed: false, attempts });
        expect(link.wait).toBeGreaterThan(wait - 5);
        expect(link.wait).toBeLessThanOrEqual(wait);
      }
      expect(server.tries).toBe(4);
      server.down = false;
      await dueNow('ivy@example.test');
      await links.round();
      expect(server.taken.map((m) => [m.to, m.subject])).toEqual([['ivy@example.test', 'Awan test: set a new password']]);
      expect(await linkState('ivy@example.test')).toMatchObject({ mailed: true, error: null, wait: null });
      await dueNow('ivy@example.test');
      await links.round();
      expect(server.taken).toHaveLength(1);
      await people.setPassword({ token: linkOf(server.taken[0]), password: 'a password set at last' });
      expect(await people.signIn({ email: 'ivy@example.test', password: 'a password set at last' }, '10.0.0.8')).toHaveProperty('token');
    });

    it('makes an invitation whose mail the server refused, says so, and sends it once the server takes mail', async () => {
      const server = mailServer();
      const links = linkMails(server.mailer);
      const invited = await peopleMailing(links).invite(admin, { accountId: 'cust-b', email: 'max@example.test', name: 'Max', role: 'CUSTOMER' });
      expect(invited).toMatchObject({ user: { email: 'max@example.test' }, mailSent: false });
      expect(await linkState('max@example.test')).toMatchObject({ mailed: false, attempts: 0, error: 'connect ECONNREFUSED 192.0.2.25:587' });
      server.down = false;
      await dueNow('max@example.test');
      await links.round();
      expect(server.taken.map((m) => [m.to, m.subject])).toEqual([['max@example.test', 'Awan test: you are invited']]);
      await people.setPassword({ token: linkOf(server.taken[0]), password: PASSWORD });
    });

    it('sends a mail cut off by a stop again, from one replica of two, and the link it may have carried works no more', async () => {
      await invited(admin, 'cust-b', 'jon@example.test');
      await database.pool.query("UPDATE user_links SET created_at = now() - interval '2 minutes'");
      // The mail server took the mail, and the gateway stopped before it heard so.
      const cutOff: Mail[] = [];
      await peopleMailing(linkMails({ send: (mail) => (cutOff.push(mail), new Promise(() => undefined)) })).requestPasswordReset({ email: 'jon@example.test' });
      await waitFor(() => cutOff.length > 0, 5000, 'the first mail');
      const replicas = [mailServer(), mailServer()];
      for (const replica of replicas) replica.down = false;
      await dueNow('jon@example.test');
      await Promise.all(replicas.map((replica) => linkMails(replica.mailer).round()));
      const again = replicas.flatMap((replica) => replica.taken);
      expect(again.map((m) => m.to)).toEqual(['jon@example.test']);
      expect(linkOf(again[0])).not.toBe(linkOf(cutOff[0]));
      await expect(people.setPassword({ token: linkOf(cutOff[0]), password: PASSWORD })).rejects.toMatchObject({ field: 'token' });
      await people.setPassword({ token: linkOf(again[0]), password: PASSWORD });
    });

    it('leaves a mail still being sent to its sender, however short MAIL_RETRY_MS, and its link works', async () => {
      await invited(admin, 'cust-b', 'noa@example.test');
      await database.pool.query("UPDATE user_links SET created_at = now() - interval '2 minutes'");
      const quickly = (mailer: Mailer) => linkMails(mailer, 1000);
      // A mail server slow to answer, past MAIL_RETRY_MS.
      const sending: Mail[] = [];
      let answer = () => undefined as void;
      await peopleMailing(quickly({ send: (mail) => (sending.push(mail), new Promise<void>((resolve) => (answer = resolve))) }))
        .requestPasswordReset({ email: 'noa@example.test' });
      await waitFor(() => sending.length > 0, 5000, 'the mail on its way');
      await new Promise((resolve) => setTimeout(resolve, 1500));
      const other = mailServer();
      other.down = false;
      await quickly(other.mailer).round();
      expect(other.tries).toBe(0);
      answer();
      await waitFor(async () => (await linkState('noa@example.test')).mailed, 5000, 'the mail recorded as sent');
      await people.setPassword({ token: linkOf(sending[0]), password: PASSWORD });
    });

    it("gives up a mail not sent within its link's time, and sends none for a link used meanwhile", async () => {
      const server = mailServer();
      const links = linkMails(server.mailer);
      const mailing = peopleMailing(links);
      // A storefront's sign-up: its mail after the commit.
      const kim = { accountId: 'cust-b', email: 'kim@example.test', emailKey: 'kim@example.test', name: 'Kim', role: 'CUSTOMER' as const };
      await withTransaction(database.pool, (tx) => mailing.addPerson(tx, kim, 'storefront:res'));
      // Lee, invited, asks for a new password before following the invitation.
      await people.invite(admin, { accountId: 'cust-b', email: 'lee@example.test', name: 'Lee', role: 'CUSTOMER' });
      const invitation = linkOf(mails.at(-1)!);
      await database.pool.query("UPDATE user_links SET created_at = now() - interval '2 minutes'");
      await mailing.requestPasswordReset({ email: 'lee@example.test' });
      await waitFor(async () => (await linkState('kim@example.test')).error !== null && (await linkState('lee@example.test')).error !== null, 5000, 'both failures recorded');
      await people.setPassword({ token: invitation, password: PASSWORD });
      await database.pool.query(
        "UPDATE user_links l SET created_at = now() - interval '61 minutes' FROM users u WHERE u.id = l.user_id AND u.email = 'kim@example.test'",
      );
      server.down = false;
      await dueNow('kim@example.test');
      await dueNow('lee@example.test');
      await links.round();
      expect(server.taken).toEqual([]);
      expect(await linkState('kim@example.test')).toMatchObject({ mailed: false, wait: null });
      await links.round();
      expect(server.tries).toBe(2);
    });
  });
});
