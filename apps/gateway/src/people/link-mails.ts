import { Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type pg from 'pg';
import { afterCommit, withTransaction, type Sql } from '#libs/event-store';
import { counter } from '#libs/metrics';
import { Rounds } from '#libs/platform';
import { hashSecret } from '../identity/identity.js';
import type { Mail, Mailer } from './mailer.js';
import type { PeopleConfig } from './people.js';
import { newToken } from './people.rules.js';

export type LinkPurpose = 'invitation' | 'reset';

/** What LinkMails reads of the people's configuration, and the platform's name, as the mail names it. */
export type LinkMailsConfig = Pick<PeopleConfig, 'linkTtlMs' | 'linkBase' | 'mailRetryMs'> & { issuer: string };

/** How often a replica looks for mails due again, at most: half the first wait where that is shorter. */
const ROUND_EVERY_MS = 30_000;
/** Links one round takes at once, sent side by side: a mail server that answers nothing holds a round one timeout, not one per link. */
const BATCH = 10;
/**
 * How long a link whose mail is being sent is left to its sender, well over the mailer's own bounds
 * (5 s to connect, 5 for the greeting, 8 of silence): a round taking it sooner would give it a new
 * token while the mail with the old one may still go. Past it, the sender is taken to have stopped.
 */
const SENDING_MS = 60_000;

const mails = counter<'result'>({
  name: 'awan_gateway_link_mails_total',
  help: 'Mails of one-time links (invitations, new passwords): sent; failed (tried again later); abandoned (not sent within the link\'s time).',
  labelNames: ['result'],
});

interface DueLink {
  tokenHash: string;
  token: string;
  purpose: LinkPurpose;
  email: string;
  expiresAt: Date;
}

/**
 * The one-time links people set a password with, and their mail. Only a token's hash is kept, so
 * a mail that could not be sent (the mail server away, the gateway stopped before it sent) is sent
 * again with a new token in place of the old: rounds on every replica take the links whose mail is
 * due (SKIP LOCKED: each by one replica), with a wait doubling up to an hour, until the link's time
 * (INVITATION_TTL_MS) from its making is over. A mail that went out but was not recorded so (the
 * gateway stopped in between) goes again; its earlier link then works no more.
 */
export class LinkMails implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('mail');
  private readonly rounds: Rounds;

  constructor(
    private readonly pool: pg.Pool,
    private readonly mailer: Mailer,
    private readonly config: LinkMailsConfig,
  ) {
    this.rounds = new Rounds(Math.min(ROUND_EVERY_MS, config.mailRetryMs / 2), this.logger, 'the round of mails due again', () => this.sendDue());
  }

  onApplicationBootstrap(): void {
    this.rounds.start();
  }

  onApplicationShutdown(): Promise<void> {
    return this.rounds.stop();
  }

  /**
   * A new link for `user` in `tx`, its mail sent once `tx` commits (never from inside it: a mail
   * server may take seconds, and a mail must not carry a link that was rolled back), and tried again
   * until sent. `sent` says, once the first try is over, whether it went; only a committed `tx` settles it.
   */
  async create(tx: Sql, user: { id: string; email: string }, purpose: LinkPurpose): Promise<{ sent: Promise<boolean> }> {
    const token = newToken();
    const tokenHash = hashSecret(token);
    await tx.query(`DELETE FROM user_links WHERE expires_at < now() - interval '1 day'`);
    const { rows: [link] } = await tx.query<{ expires_at: Date }>(
      `INSERT INTO user_links (token_hash, user_id, purpose, expires_at, mail_due_at)
       VALUES ($1, $2, $3, now() + $4 * interval '1 millisecond', now() + $5 * interval '1 millisecond') RETURNING expires_at`,
      [tokenHash, user.id, purpose, this.config.linkTtlMs, SENDING_MS],
    );
    const mail = this.mailOf({ token, purpose, email: user.email, expiresAt: link.expires_at });
    return { sent: new Promise((resolve) => afterCommit(tx, () => resolve(this.deliver(tokenHash, mail)))) };
  }

  /** One round (a replica's rounds one at a time): the links whose time is over given up, then every mail due sent. */
  round(): Promise<void> {
    return this.rounds.once();
  }

  private async sendDue(): Promise<void> {
    const { rows: abandoned } = await this.pool.query<{ email: string; purpose: LinkPurpose; attempts: number; error: string | null }>(
      `UPDATE user_links l SET mail_due_at = NULL FROM users u
       WHERE u.id = l.user_id AND l.mailed_at IS NULL AND l.used_at IS NULL AND l.mail_due_at IS NOT NULL AND l.created_at <= now() - $1 * interval '1 millisecond'
       RETURNING u.email, l.purpose, l.mail_attempts AS attempts, l.mail_error AS error`,
      [this.config.linkTtlMs],
    );
    for (const link of abandoned) {
      mails.inc({ result: 'abandoned' });
      const tries = link.attempts + 1;
      this.logger.error(`gave up the ${link.purpose} mail to ${link.email} after ${tries} ${tries === 1 ? 'try' : 'tries'}: ${link.error ?? 'not sent'}; they may ask for a new password`);
    }
    for (;;) {
      const due = await this.takeDue();
      const sent = await Promise.all(due.map((link) => this.deliver(link.tokenHash, this.mailOf(link))));
      // A round ends at the first failure: the mail server is away, and the links left wait their turn.
      if (due.length < BATCH || sent.includes(false)) return;
    }
  }

  /** Links whose mail is due, each given a new token (the old one was never sent, or not known to be) and left to this replica to send. */
  private takeDue(): Promise<DueLink[]> {
    return withTransaction(this.pool, async (tx) => {
      const { rows } = await tx.query<{ token_hash: string; purpose: LinkPurpose; email: string }>(
        `SELECT l.token_hash, l.purpose, u.email FROM user_links l JOIN users u ON u.id = l.user_id
         WHERE l.mailed_at IS NULL AND l.used_at IS NULL AND l.mail_due_at <= now()
         ORDER BY l.mail_due_at LIMIT $1 FOR UPDATE OF l SKIP LOCKED`,
        [BATCH],
      );
      if (rows.length === 0) return [];
      const tokens = rows.map(() => newToken());
      const hashes = tokens.map(hashSecret);
      const { rows: taken } = await tx.query<{ token_hash: string; expires_at: Date }>(
        `UPDATE user_links l SET token_hash = n.new_hash, expires_at = now() + $3 * interval '1 millisecond', mail_attempts = l.mail_attempts + 1,
           mail_due_at = now() + $4 * interval '1 millisecond'
         FROM unnest($1::text[], $2::text[]) AS n(old_hash, new_hash) WHERE l.token_hash = n.old_hash
         RETURNING l.token_hash, l.expires_at`,
        [rows.map((row) => row.token_hash), hashes, this.config.linkTtlMs, SENDING_MS],
      );
      const expiresAt = new Map(taken.map((row) => [row.token_hash, row.expires_at]));
      return rows.map((row, i) => ({ tokenHash: hashes[i], token: tokens[i], purpose: row.purpose, email: row.email, expiresAt: expiresAt.get(hashes[i])! }));
    });
  }

  /** Sends a link's mail and records how it went; whether it was sent. */
  private async deliver(tokenHash: string, mail: Mail): Promise<boolean> {
    const record = (sql: string, values: unknown[]) =>
      this.pool.query(sql, values).catch((error: Error) => this.logger.error(`how a mail to ${mail.to} went was not recorded: ${error.message}`));
    try {
      await this.mailer.send(mail);
    } catch (error) {
      const message = (error as Error).message;
      mails.inc({ result: 'failed' });
      this.logger.error(`a mail to ${mail.to} (${mail.subject}) could not be sent, tried again later: ${message}`);
      // The next try waits MAIL_RETRY_MS after the first failure, twice the last wait after each other, an hour at most; none for a link given up meanwhile.
      await record(
        `UPDATE user_links SET mail_error = $2,
           mail_due_at = CASE WHEN mail_due_at IS NOT NULL THEN now() + least($3 * interval '1 millisecond' * power(2, mail_attempts), interval '1 hour') END
         WHERE token_hash = $1`,
        [tokenHash, message, this.config.mailRetryMs],
      );
      return false;
    }
    mails.inc({ result: 'sent' });
    await record('UPDATE user_links SET mailed_at = now(), mail_due_at = NULL, mail_error = NULL WHERE token_hash = $1', [tokenHash]);
    return true;
  }

  private mailOf(link: Omit<DueLink, 'tokenHash'>): Mail {
    const { issuer, linkBase } = this.config;
    const url = `${linkBase}/set-password?token=${link.token}`;
    const until = link.expiresAt.toISOString();
    // No name in it: a storefront's sign-up chooses one for anyone's address, and would write to them in our name.
    return link.purpose === 'invitation'
      ? {
          to: link.email, subject: `${issuer}: you are invited`,
          text: `Hello,\n\nyou are invited to ${issuer}. Set your password here (the link works once, until ${until}):\n\n${url}\n`,
        }
      : {
          to: link.email, subject: `${issuer}: set a new password`,
          text: `Hello,\n\nsomeone (you, we hope) asked to set a new password for ${link.email} at ${issuer}. Set it here (the link works once, until ${until}):\n\n${url}\n\nIf it was not you, do nothing: your password stays as it is.\n`,
        };
  }
}
