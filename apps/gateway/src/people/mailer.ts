import { Logger } from '@nestjs/common';
import nodemailer from 'nodemailer';

export interface Mail {
  to: string;
  subject: string;
  text: string;
}

/** Where the gateway's mail goes: SMTP where SMTP_URL is set, else the log (development). */
export interface Mailer {
  send(mail: Mail): Promise<void>;
}

/** Development: the mail, its link among it, is written to the log. */
export class LogMailer implements Mailer {
  private readonly logger = new Logger('mail');

  async send(mail: Mail): Promise<void> {
    this.logger.log(`to ${mail.to}: ${mail.subject}\n${mail.text}`);
  }
}

/** SMTP (nodemailer) at `url` (smtp://user:pass@host:587, smtps://… for TLS from the start). */
export class SmtpMailer implements Mailer {
  private readonly transport: ReturnType<typeof nodemailer.createTransport>;

  constructor(url: string, private readonly from: string) {
    // Bounded, as every wait is: an invitation's answer waits for its mail's first try.
    this.transport = nodemailer.createTransport({ url, connectionTimeout: 5000, greetingTimeout: 5000, socketTimeout: 8000 });
  }

  async send(mail: Mail): Promise<void> {
    await this.transport.sendMail({ from: this.from, to: mail.to, subject: mail.subject, text: mail.text });
  }
}

export const mailerFor = (smtpUrl: string | null, from: string): Mailer => (smtpUrl ? new SmtpMailer(smtpUrl, from) : new LogMailer());
