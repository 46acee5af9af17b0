import net from 'node:net';
import { waitFor } from './environment.js';

/** A mail the fake SMTP server took: its envelope and its message (headers and body, a quoted-printable body decoded). */
export interface FakeMail {
  from: string;
  to: string[];
  message: string;
}

/**
 * A fake SMTP server for tests: just enough of RFC 5321 (EHLO, MAIL, RCPT, DATA, RSET, NOOP, QUIT;
 * no TLS, no authentication) for nodemailer to hand it mail, which it keeps in `mails`, or refuses
 * while `refusing`.
 */
export class FakeSmtpServer {
  readonly mails: FakeMail[] = [];
  /** Mails the server is to refuse yet, as a busy one does (451 to MAIL: try again later). */
  refusing = 0;
  private readonly server = net.createServer((socket) => this.serve(socket));

  static async start(): Promise<FakeSmtpServer> {
    const fake = new FakeSmtpServer();
    await new Promise<void>((resolve) => fake.server.listen(0, '127.0.0.1', resolve));
    return fake;
  }

  get url(): string {
    return `smtp://127.0.0.1:${(this.server.address() as net.AddressInfo).port}`;
  }

  /** The one-time link (…/set-password?token=…) in the `nth` mail to `email` (1: the first), or else its latest, waited for. */
  async linkTo(email: string, nth?: number): Promise<string> {
    const mail = await waitFor(() => {
      const theirs = this.mails.filter((m) => m.to.includes(email));
      return nth === undefined ? theirs.at(-1) : theirs[nth - 1];
    }, 20_000, `mail ${nth ?? ''} to ${email}`);
    return /http:\/\/\S+\/set-password\?token=[\w-]{43}/.exec(mail.message)![0];
  }

  stop(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private serve(socket: net.Socket): void {
    let buffer = '';
    let data: string[] | null = null;
    let mail: FakeMail = { from: '', to: [], message: '' };
    const reply = (line: string) => socket.write(`${line}\r\n`);
    socket.on('error', () => undefined);
    socket.on('data', (chunk) => {
      buffer += chunk.toString('utf8');
      let end: number;
      while ((end = buffer.indexOf('\r\n')) >= 0) {
        const line = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        if (data) {
          if (line === '.') {
            this.mails.push({ ...mail, message: decode(data.join('\r\n')) });
            mail = { from: '', to: [], message: '' };
            data = null;
            reply('250 queued');
          } else {
            data.push(line.startsWith('..') ? line.slice(1) : line);
          }
          continue;
        }
        const verb = line.slice(0, 4).toUpperCase();
        if (verb === 'EHLO' || verb === 'HELO') reply('250 fake-smtp');
        else if (verb === 'MAIL' && this.refusing > 0) this.refusing--, reply('451 4.3.0 busy, try again later');
        else if (verb === 'MAIL') (mail.from = /<(.*)>/.exec(line)?.[1] ?? ''), reply('250 ok');
        else if (verb === 'RCPT') mail.to.push(/<(.*)>/.exec(line)?.[1] ?? ''), reply('250 ok');
        else if (verb === 'DATA') (data = []), reply('354 end with <CRLF>.<CRLF>');
        else if (verb === 'RSET') (mail = { from: '', to: [], message: '' }), reply('250 ok');
        else if (verb === 'NOOP') reply('250 ok');
        else if (verb === 'QUIT') reply('221 bye'), socket.end();
        else reply('502 not implemented');
      }
    });
    reply('220 fake-smtp ESMTP');
  }
}

/** The message with a quoted-printable body decoded, as a reader sees it. */
function decode(message: string): string {
  if (!/^content-transfer-encoding:\s*quoted-printable/im.test(message)) return message;
  return message.replace(/=\r\n/g, '').replace(/=([0-9A-F]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}
