/**
 * A reply too large for one NATS message (the server's max_payload, 1 MB unless configured otherwise)
 * goes as parts: its JSON text cut in pieces, each sent as a reply of its own to the request's inbox,
 * in order (NATS keeps the order of one publisher's messages), the last one ending the reply. Before,
 * such a reply (a reseller's invoice with its customers' lines, a month's CSV) was refused by NATS, and
 * its caller waited out its deadline.
 */
const PART = 'awanReplyPart';

export interface ReplyPart {
  [PART]: string;
}

/** Room for the packet around a piece: its id, the key, isDisposed. */
const ENVELOPE_BYTES = 1024;

/**
 * `text` in pieces, each of which makes a packet under `maxPayload` bytes: as long as fits once JSON
 * has escaped and encoded it (a quote takes two bytes, an accent two, a CJK character three), so that
 * text of one byte a character goes in as few messages as it can.
 */
export function replyParts(text: string, maxPayload: number): ReplyPart[] {
  const budget = maxPayload - ENVELOPE_BYTES;
  const parts: ReplyPart[] = [];
  for (let at = 0; at < text.length;) {
    let size = Math.min(budget, text.length - at);
    for (let bytes = encodedBytes(text, at, size); bytes > budget && size > 1; bytes = encodedBytes(text, at, size)) {
      size = Math.max(1, Math.floor((size * budget) / bytes) - 1);
    }
    parts.push({ [PART]: text.slice(at, at + size) });
    at += size;
  }
  return parts;
}

const encodedBytes = (text: string, at: number, size: number) => Buffer.byteLength(JSON.stringify(text.slice(at, at + size)));

const isPart = (answer: unknown): answer is ReplyPart => typeof answer === 'object' && answer !== null && typeof (answer as ReplyPart)[PART] === 'string';

/** The reply as its service sent it: its one answer, or its parts joined and read. */
export function joinReply<T>(answers: readonly unknown[]): T {
  if (answers.length === 0) throw new Error('the service answered with nothing');
  if (!isPart(answers[0])) return answers[0] as T;
  if (!answers.every(isPart)) throw new Error('the reply mixed parts with whole answers');
  return JSON.parse(answers.map((part) => part[PART]).join('')) as T;
}
