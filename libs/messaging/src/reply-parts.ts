/**
 * A reply too large for one NATS message (the server's max_payload, 1 MB unless configured otherwise;
 * it counts bytes, and an accent is two of them, a CJK character three) goes as parts: its packet's
 * bytes, as Nest serialized them, cut in pieces, each sent as a reply of its own to the request's
 * inbox with a header that marks it a part, in order (NATS keeps the order of one publisher's
 * messages), the last one ending the reply. The caller passes the pieces on unread and joins them
 * (`ReplyDeserializer`, `joinReply`), so a large reply is serialized once and read once. Before,
 * such a reply (a reseller's invoice with its customers' lines, a month's CSV) was refused by NATS,
 * and its caller waited out its deadline.
 */
const PART = 'awanReplyPart';

/** The header that marks a message as a part of a reply: its packet's id, then ` end` where the part ends the reply. */
export const REPLY_PART_HEADER = 'Awan-Reply-Part';

/** Room left in each part's message for its headers, which NATS counts within max_payload. */
const PART_HEADERS_BYTES = 256;

/** A part as the caller's client passes it on: its bytes, unread. */
export interface ReplyPart {
  [PART]: Uint8Array;
}

/** The pieces a reply's packet is sent in: the packet whole where it fits in `maxPayload` bytes, else parts that leave room for a part's headers. */
export function replyPieces(packet: Uint8Array, maxPayload: number): Uint8Array[] {
  if (packet.length <= maxPayload) return [packet];
  const size = maxPayload - PART_HEADERS_BYTES;
  return Array.from({ length: Math.ceil(packet.length / size) }, (_, i) => packet.subarray(i * size, (i + 1) * size));
}

/** The value of a part's REPLY_PART_HEADER. */
export const partHeader = (packetId: string, ends: boolean): string => (ends ? `${packetId} end` : packetId);

/** A message marked by REPLY_PART_HEADER as Nest's client takes a reply's packet: its id, the part as its answer, whether it ends the reply. */
export function partPacket(header: string, data: Uint8Array): { id: string; response: ReplyPart; isDisposed: boolean } {
  const [id, end] = header.split(' ');
  return { id, response: { [PART]: data }, isDisposed: end === 'end' };
}

const isPart = (answer: unknown): answer is ReplyPart => typeof answer === 'object' && answer !== null && (answer as ReplyPart)[PART] instanceof Uint8Array;

/**
 * The reply as its service sent it: its one answer, or its parts joined into its packet and read, and
 * the packet's answer; its error, where the packet carries one, is thrown as it came.
 */
export function joinReply<T>(answers: readonly unknown[]): T {
  if (answers.length === 0) throw new Error('the service answered with nothing');
  if (!isPart(answers[0])) return answers[0] as T;
  if (!answers.every(isPart)) throw new Error('the reply mixed parts with whole answers');
  const packet = JSON.parse(Buffer.concat(answers.map((part) => part[PART])).toString()) as { response?: T; err?: unknown };
  if (packet.err !== undefined && packet.err !== null) throw packet.err;
  return packet.response as T;
}
