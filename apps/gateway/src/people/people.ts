import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { AppError, type AccountKind, type AccountStatus } from '#libs/contracts';
import { isUniqueViolation, withTransaction, type Sql } from '#libs/event-store';
import { callerAddress } from '../auth/caller-address.js';
import type { Role } from '../identity/api-key.decider.js';
import { hashSecret, scopeOf, type Identity, type Viewer } from '../identity/identity.js';
import type { LinkMails } from './link-mails.js';
import { hashPassword, UNUSABLE_HASH, verifyPassword } from './passwords.js';
import { decideInvitation, newToken, signInLock, TOKEN, validEmail, validPassword, type FailureCount, type Invitation, type SignInLimits } from './people.rules.js';
import { newTotpSecret, totpUri, verifyTotp } from './totp.js';

/** What the gateway reads for people (README, Configuration). */
export interface PeopleConfig {
  /** How long a session lasts from sign-in (SESSION_TTL_MS). */
  sessionTtlMs: number;
  /** How long a link to set a password is good from its mail, and its mail tried from its making (INVITATION_TTL_MS). */
  linkTtlMs: number;
  /** SIGN_IN_MAX_FAILURES, SIGN_IN_MAX_FAILURES_PER_ADDRESS, SIGN_IN_LOCKOUT_MS. */
  signIn: SignInLimits;
  /** SMTP_URL: where mail goes; null: to the log. */
  smtpUrl: string | null;
  /** SMTP_FROM. */
  mailFrom: string;
  /**
   * MAIL_RETRY_MS: the first wait before a link's mail that failed is tried again, each later one
   * twice the last up to an hour. A mail sent after its commit is not tried again before it, so it is
   * to be longer than a send may take (nodemailer's timeouts, 18 s at most), or a link on its way is replaced.
   */
  mailRetryMs: number;
  /**
   * Where the links in mail point: GATEWAY_PUBLIC_URL, else the gateway's own address. Never a
   * request's Host: whoever asks for a reset would choose where the victim's token is sent.
   */
  linkBase: string;
}

export interface UserView {
  id: string;
  accountId: string;
  email: string;
  name: string;
  role: Role;
  totpEnabled: boolean;
  createdAt: string;
  passwordSetAt: string | null;
}

/** A signed-in person: the session's viewer (as an API key's, its apiKeyId `session:<id>`), user and end. */
export interface SessionHolder {
  viewer: Viewer;
  user: UserView;
  sessionId: string;
  expiresAt: string;
  csrfHash: string;
}

/** A refused sign-in, as HTTP answers it. */
export interface SignInRefusal {
  status: 400 | 401 | 429;
  code: 'BAD_USER_INPUT' | 'UNAUTHENTICATED' | 'RATE_LIMITED';
  message: string;
  field?: string;
  retryAfter?: number;
}

export const SESSION_PREFIX = 'session:';
const TOTP_ON = () => AppError.conflict('TOTP is on already: turn it off with a current code first');

const USER_COLUMNS = `u.id, u.account_id AS "accountId", u.email, u.name, u.role, u.totp_secret IS NOT NULL AS "totpEnabled",
  u.created_at AS "createdAt", u.password_set_at AS "passwordSetAt"`;
type UserRow = Omit<UserView, 'createdAt' | 'passwordSetAt'> & { createdAt: Date; passwordSetAt: Date | null };
const userOf = (row: UserRow): UserView => ({ ...row, createdAt: row.createdAt.toISOString(), passwordSetAt: row.passwordSetAt?.toISOString() ?? null });

/** One-time links one person is mailed in a day at most, invitation included. */
export const LINKS_PER_DAY = 10;

/**
 * People: users of accounts who sign in with email and password (and TOTP where they turned it
 * on), invited by whoever may manage the account's keys; their sessions resolve to the same viewer
 * an API key of the account in the user's role would, so every resolver's rules apply unchanged.
 */
export class People {
  constructor(
    private readonly pool: pg.Pool,
    private readonly identity: Pick<Identity, 'account'>,
    private readonly links: LinkMails,
    private readonly config: PeopleConfig,
    private readonly issuer: string,
  ) {}

  /**
   * Invites a person into an account the viewer may manage, and mails (or logs) them the one-time
   * link to set a password; `mailSent` says whether the first try went (else it is tried again).
   */
  async invite(viewer: Viewer, input: Record<string, unknown>): Promise<{ user: UserView; mailSent: boolean }> {
    const accountId = typeof input.accountId === 'string' && input.accountId ? input.accountId : null;
    const account = accountId ? await this.identity.account(accountId, viewer) : null;
    const invitation = decideInvitation(viewer, account, input);
    const { userId, mail } = await withTransaction(this.pool, (tx) => this.addPerson(tx, invitation, viewer.apiKeyId));
    return { user: (await this.user(userId))!, mailSent: await mail.sent };
  }

  /**
   * A new person of an account, within `tx`, mailed (or logged) their one-time link to set a
   * password once `tx` commits, and again until sent (LinkMails); `invitedBy` says who let them in
   * (a key, a session, a storefront).
   */
  async addPerson(tx: Sql, person: Invitation, invitedBy: string): Promise<{ userId: string; mail: { sent: Promise<boolean> } }> {
    const userId = randomUUID();
    try {
      await tx.query(
        'INSERT INTO users (id, account_id, email, email_key, name, role, invited_by) VALUES ($1, $2, $3, $4, $5, $6, $7)',
        [userId, person.accountId, person.email, person.emailKey, person.name, person.role, invitedBy],
      );
    } catch (error) {
      if (isUniqueViolation(error)) throw new AppError('CONFLICT', 'email: a person with this email exists already', 'email');
      throw error;
    }
    return { userId, mail: await this.links.create(tx, { id: userId, email: person.email }, 'invitation') };
  }

  /** Whether a person has this email (in any case). */
  async emailTaken(emailKey: string): Promise<boolean> {
    const { rowCount } = await this.pool.query('SELECT 1 FROM users WHERE email_key = $1', [emailKey]);
    return (rowCount ?? 0) > 0;
  }

  /**
   * Mails the person of `email`, if there is one, a new one-time link to set a password (at most one
   * a minute, and LINKS_PER_DAY a day: anyone may ask, through a storefront's sign-up too, and would
   * fill the person's mailbox); the answer is the same whether there is or not, and comes before the
   * mail is sent, so neither it nor its time tells anyone who has an account here.
   */
  async requestPasswordReset(input: Record<string, unknown>): Promise<void> {
    const { emailKey } = validEmail(input.email, 'email');
    await withTransaction(this.pool, async (tx) => {
      const { rows: [user] } = await tx.query<{ id: string; email: string }>('SELECT id, email FROM users WHERE email_key = $1 FOR UPDATE', [emailKey]);
      if (!user) return;
      // Read once the person's row is ours: a request that waited for it sees the link the one before made.
      const { rows: [links] } = await tx.query<{ minute: number; day: number }>(
        `SELECT count(*) FILTER (WHERE created_at > now() - interval '1 minute')::integer AS minute, count(*)::integer AS day
         FROM user_links WHERE user_id = $1 AND created_at > now() - interval '1 day'`,
        [user.id],
      );
      if (links.minute === 0 && links.day < LINKS_PER_DAY) await this.links.create(tx, user, 'reset');
    });
  }

  /** Sets a password from a one-time link's token; the user's sessions end (a reset signs out everywhere). */
  async setPassword(input: Record<string, unknown>): Promise<UserView> {
    if (typeof input.token !== 'string' || !TOKEN.test(input.token)) throw AppError.badInput('token', "must be the token of the link's ?token=");
    const password = validPassword(input.password, 'password');
    const tokenHash = hashSecret(input.token);
    const unusable = () => AppError.badInput('token', 'is unknown, used already or expired: ask for a new invitation');
    // The hash (tens of ms of a thread) only for a link there is: anyone may post made-up tokens.
    const { rowCount } = await this.pool.query('SELECT 1 FROM user_links WHERE token_hash = $1 AND used_at IS NULL AND expires_at > now()', [tokenHash]);
    if (rowCount === 0) throw unusable();
    const hash = await hashPassword(password);
    const userId = await withTransaction(this.pool, async (tx) => {
      const { rows } = await tx.query<{ user_id: string }>(
        'UPDATE user_links SET used_at = now() WHERE token_hash = $1 AND used_at IS NULL AND expires_at > now() RETURNING user_id',
        [tokenHash],
      );
      if (!rows[0]) throw unusable();
      const userId = rows[0].user_id;
      await tx.query('UPDATE users SET password_hash = $2, password_set_at = now() WHERE id = $1', [userId, hash]);
      await tx.query('UPDATE sessions SET ended_at = now() WHERE user_id = $1 AND ended_at IS NULL', [userId]);
      // The person's other links (an older invitation or reset, in a mailbox) set no password after this one.
      await tx.query('UPDATE user_links SET used_at = now() WHERE user_id = $1 AND used_at IS NULL', [userId]);
      return userId;
    });
    return (await this.user(userId))!;
  }

  /**
   * A new session for the person whose email and password (and TOTP code, where turned on) these
   * are; refused while the email, or the address, has failed too often within the lockout's window.
   */
  async signIn(input: Record<string, unknown>, address: string | undefined): Promise<{ user: UserView; token: string; csrfToken: string; expiresAt: Date } | SignInRefusal> {
    let emailKey: string;
    try {
      emailKey = validEmail(input.email, 'email').emailKey;
      if (typeof input.password !== 'string' || input.password.length === 0 || input.password.length > 1024) throw AppError.badInput('password', 'is required');
      if (input.totp !== undefined && input.totp !== null && (typeof input.totp !== 'string' || !/^\d{6}$/.test(input.totp))) throw AppError.badInput('totp', 'must be 6 digits');
    } catch (error) {
      const bad = error as AppError;
      return { status: 400, code: 'BAD_USER_INPUT', message: bad.message, field: bad.field };
    }
    const subjects = { email: `email:${emailKey}`, address: `address:${callerAddress(address)}` };
    const { forEmail, forAddress, now } = await this.failures(subjects.email, subjects.address);
    const lock = signInLock(forEmail, forAddress, this.config.signIn, now);
    if (lock) {
      return {
        status: 429, code: 'RATE_LIMITED', retryAfter: lock.retryAfter,
        message: `too many failed sign-ins ${lock.which === 'email' ? 'for this email' : 'from this address'}: try again in ${lock.retryAfter} s`,
      };
    }
    const { rows } = await this.pool.query<{ id: string; password_hash: string | null; totp_secret: string | null; totp_last_step: string | null }>(
      'SELECT id, password_hash, totp_secret, totp_last_step FROM users WHERE email_key = $1',
      [emailKey],
    );
    const user = rows[0];
    // An unknown email costs a hash as a known one does: the time tells nothing.
    const passwordRight = await verifyPassword(input.password as string, user?.password_hash ?? UNUSABLE_HASH);
    const fail = async (message: string, field?: string): Promise<SignInRefusal> => {
      await this.pool.query(
        `WITH gone AS (DELETE FROM sign_in_failures WHERE at < now() - $2 * interval '1 millisecond')
         INSERT INTO sign_in_failures (subject) SELECT unnest($1::text[])`,
        [[subjects.email, subjects.address], this.config.signIn.windowMs],
      );
      return { status: 401, code: 'UNAUTHENTICATED', message, field };
    };
    if (!user || !user.password_hash || !passwordRight) return fail('the email or the password is wrong');
    if (user.totp_secret) {
      if (!input.totp) return fail('totp: this person signs in with a code from their authenticator app', 'totp');
      const step = verifyTotp(user.totp_secret, input.totp as string, Date.now(), user.totp_last_step === null ? null : Number(user.totp_last_step));
      if (step === null) return fail('totp: the code is wrong or used already', 'totp');
      await this.pool.query('UPDATE users SET totp_last_step = $2 WHERE id = $1', [user.id, step]);
    }
    const token = newToken();
    const csrfToken = newToken();
    // Sessions a day past their end are of no more use, even to an operator's look.
    await this.pool.query(`DELETE FROM sessions WHERE expires_at < now() - interval '1 day'`);
    const { rows: made } = await this.pool.query<{ expires_at: Date }>(
      `WITH cleared AS (DELETE FROM sign_in_failures WHERE subject = $6)
       INSERT INTO sessions (id, token_hash, csrf_hash, user_id, expires_at, address)
       VALUES ($1, $2, $3, $4, now() + $5 * interval '1 millisecond', $7) RETURNING expires_at`,
      [randomUUID(), hashSecret(token), hashSecret(csrfToken), user.id, this.config.sessionTtlMs, subjects.email, address ?? null],
    );
    return { user: (await this.user(user.id))!, token, csrfToken, expiresAt: made[0].expires_at };
  }

  /** Ends the session of `token` server-side: its cookie no longer works, on any replica. */
  async signOut(token: string): Promise<boolean> {
    if (!TOKEN.test(token)) return false;
    const { rowCount } = await this.pool.query('UPDATE sessions SET ended_at = now() WHERE token_hash = $1 AND ended_at IS NULL', [hashSecret(token)]);
    return (rowCount ?? 0) > 0;
  }

  /** The live (not ended, not expired) session of `token`, its user and viewer; null for any other. */
  async session(token: string): Promise<SessionHolder | null> {
    if (!TOKEN.test(token)) return null;
    const { rows } = await this.pool.query<UserRow & { sessionId: string; expiresAt: Date; csrfHash: string; accountKind: AccountKind; accountStatus: AccountStatus; children: string[] }>(
      `SELECT ${USER_COLUMNS}, s.id AS "sessionId", s.expires_at AS "expiresAt", s.csrf_hash AS "csrfHash",
              a.kind AS "accountKind", a.status AS "accountStatus",
              ARRAY(SELECT c.id FROM accounts c WHERE c.parent_id = a.id ORDER BY c.position) AS children
       FROM sessions s JOIN users u ON u.id = s.user_id JOIN accounts a ON a.id = u.account_id
       WHERE s.token_hash = $1 AND s.ended_at IS NULL AND s.expires_at > now()`,
      [hashSecret(token)],
    );
    const row = rows[0];
    if (!row) return null;
    const { sessionId, expiresAt, csrfHash, accountKind, accountStatus, children, ...user } = row;
    return {
      sessionId, csrfHash, expiresAt: expiresAt.toISOString(), user: userOf(user),
      viewer: {
        apiKeyId: `${SESSION_PREFIX}${sessionId}`, accountId: user.accountId, accountKind, accountStatus, role: user.role,
        accountIds: scopeOf(user.role, accountKind, user.accountId, children),
      },
    };
  }

  /** Offers the signed-in person a new TOTP secret; it is turned on once a code of it is confirmed. */
  async beginTotp(holder: SessionHolder): Promise<{ secret: string; uri: string }> {
    const secret = newTotpSecret();
    // Not over one turned on: a session alone would then replace the second factor, and turn it off with its own code.
    const { rowCount } = await this.pool.query('UPDATE users SET totp_pending = $2 WHERE id = $1 AND totp_secret IS NULL', [holder.user.id, secret]);
    if (rowCount === 0) throw TOTP_ON();
    return { secret, uri: totpUri(this.issuer, holder.user.email, secret) };
  }

  async confirmTotp(holder: SessionHolder, input: Record<string, unknown>): Promise<UserView> {
    if (typeof input.code !== 'string' || !/^\d{6}$/.test(input.code)) throw AppError.badInput('code', 'must be 6 digits');
    const { rows } = await this.pool.query<{ totp_pending: string | null }>('SELECT totp_pending FROM users WHERE id = $1', [holder.user.id]);
    const pending = rows[0]?.totp_pending;
    if (!pending) throw AppError.conflict('no TOTP secret is offered: POST /auth/totp first');
    const step = verifyTotp(pending, input.code, Date.now(), null);
    if (step === null) throw AppError.badInput('code', 'is not the code of the offered secret now');
    const { rowCount } = await this.pool.query(
      'UPDATE users SET totp_secret = totp_pending, totp_pending = NULL, totp_last_step = $2 WHERE id = $1 AND totp_secret IS NULL AND totp_pending = $3',
      [holder.user.id, step, pending],
    );
    if (rowCount === 0) throw TOTP_ON();
    return (await this.user(holder.user.id))!;
  }

  /** Turns TOTP off for the signed-in person, with a current code. */
  async disableTotp(holder: SessionHolder, input: Record<string, unknown>): Promise<UserView> {
    if (typeof input.code !== 'string' || !/^\d{6}$/.test(input.code)) throw AppError.badInput('code', 'must be 6 digits');
    const { rows } = await this.pool.query<{ totp_secret: string | null; totp_last_step: string | null }>('SELECT totp_secret, totp_last_step FROM users WHERE id = $1', [holder.user.id]);
    const secret = rows[0]?.totp_secret;
    if (!secret) throw AppError.conflict('TOTP is off already');
    if (verifyTotp(secret, input.code, Date.now(), rows[0].totp_last_step === null ? null : Number(rows[0].totp_last_step)) === null) {
      throw AppError.badInput('code', 'is not a current code of the authenticator app (or was used already)');
    }
    await this.pool.query('UPDATE users SET totp_secret = NULL, totp_pending = NULL, totp_last_step = NULL WHERE id = $1', [holder.user.id]);
    return (await this.user(holder.user.id))!;
  }

  /** The people of the accounts the viewer sees, oldest first. */
  async users(viewer: Viewer): Promise<UserView[]> {
    const scope = viewer.accountIds === 'platform' ? null : [...viewer.accountIds];
    const { rows } = await this.pool.query<UserRow>(`SELECT ${USER_COLUMNS} FROM users u WHERE $1::text[] IS NULL OR u.account_id = ANY($1) ORDER BY u.created_at, u.id`, [scope]);
    return rows.map(userOf);
  }

  async user(id: string): Promise<UserView | null> {
    const { rows } = await this.pool.query<UserRow>(`SELECT ${USER_COLUMNS} FROM users u WHERE u.id = $1`, [id]);
    return rows[0] ? userOf(rows[0]) : null;
  }

  /** Failed sign-ins within the window, for the email and the address, and the database's now (unix ms). */
  private async failures(email: string, address: string): Promise<{ forEmail: FailureCount; forAddress: FailureCount; now: number }> {
    const { rows } = await this.pool.query<{ subject: string; count: number; oldest: number | null; now: number }>(
      `SELECT s.subject, count(f.at)::integer AS count, (extract(epoch FROM min(f.at)) * 1000)::float8 AS oldest, (extract(epoch FROM now()) * 1000)::float8 AS now
       FROM unnest($1::text[]) AS s (subject)
       LEFT JOIN sign_in_failures f ON f.subject = s.subject AND f.at > now() - $2 * interval '1 millisecond'
       GROUP BY s.subject`,
      [[email, address], this.config.signIn.windowMs],
    );
    const of = (subject: string): FailureCount => {
      const row = rows.find((r) => r.subject === subject);
      return { count: row?.count ?? 0, oldestAt: row?.oldest ?? null };
    };
    return { forEmail: of(email), forAddress: of(address), now: rows[0]?.now ?? Date.now() };
  }
}
