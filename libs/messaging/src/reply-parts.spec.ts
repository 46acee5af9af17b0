import { joinReply, partHeader, partPacket, replyPieces } from './reply-parts.js';

/** Text that JSON escapes or encodes in more than a byte: quotes, backslashes, control characters, accents, CJK, and emoji (four bytes). */
const awkward = 'Customer "Ünïcødé" \\ tab\t newline\n nul\u0000 東京 🙂🚀 ';
const id = '9b1deb4d-3b7d-4bad-9bdd-2b0d7b3dcb6d';
const maxPayload = 1024; // pieces of 768 bytes: characters of two, three and four bytes are cut between messages

/** A reply's packet as Nest serializes it, and its pieces as SubjectServer sends them, each with the header it would carry where there are several. */
function sent(packet: object) {
  const bytes = Buffer.from(JSON.stringify(packet));
  const pieces = replyPieces(bytes, maxPayload);
  return { bytes, pieces, headers: pieces.map((_, i) => partHeader(id, i === pieces.length - 1)) };
}

/** As the caller's client takes them: each part's packet from its header (ReplyDeserializer), and its answer passed on. */
const received = (pieces: Uint8Array[], headers: string[]) => pieces.map((piece, i) => partPacket(headers[i], piece));

describe('a reply too large for one NATS message', () => {
  it('goes in pieces within the limit, leaving room for their headers, the last one ending the reply, and joins back to the same value', () => {
    const reply = { lines: Array.from({ length: 40 }, (_, i) => ({ n: i, description: `${awkward}${i}`, amount: '0.01' })) };
    const { bytes, pieces, headers } = sent({ response: reply, isDisposed: true, id });

    expect(pieces.length).toBe(Math.ceil(bytes.length / 768));
    for (const piece of pieces) expect(piece.length + Buffer.byteLength(`NATS/1.0\r\nAwan-Reply-Part: ${id} end\r\n\r\n`)).toBeLessThanOrEqual(maxPayload);
    const packets = received(pieces, headers);
    expect(packets.map((packet) => [packet.id, packet.isDisposed])).toEqual(pieces.map((_, i) => [id, i === pieces.length - 1]));
    expect(joinReply(packets.map((packet) => packet.response))).toEqual(reply);
  });

  it('goes in parts where it is within the limit in characters but not in bytes', () => {
    const reply = { name: '東京'.repeat(200) }; // 400 characters, 1,200 bytes
    const { pieces, headers } = sent({ response: reply, isDisposed: true, id });

    expect(JSON.stringify({ response: reply, isDisposed: true, id }).length).toBeLessThan(maxPayload);
    expect(pieces).toHaveLength(2);
    expect(joinReply(received(pieces, headers).map((packet) => packet.response))).toEqual(reply);
  });

  it('leaves a reply that fits as one message, its packet as it is', () => {
    const { bytes, pieces } = sent({ response: { total: '1.19' }, isDisposed: true, id });
    expect(pieces).toEqual([bytes]);
    expect(joinReply([{ total: '1.19' }])).toEqual({ total: '1.19' });
    expect(joinReply(['late'])).toBe('late');
  });

  it('throws the error a joined packet carries, as it came', () => {
    const err = { code: 'BAD_USER_INPUT', message: `name: ${'x'.repeat(2000)}`, field: 'name' };
    const { pieces, headers } = sent({ err, isDisposed: true, id });
    expect(() => joinReply(received(pieces, headers).map((packet) => packet.response))).toThrow(expect.objectContaining(err));
  });

  it('refuses an answer of nothing, or parts mixed with whole answers', () => {
    const { pieces, headers } = sent({ response: 'y'.repeat(3_000), isDisposed: true, id });
    const parts = received(pieces, headers).map((packet) => packet.response);
    expect(() => joinReply([])).toThrow('the service answered with nothing');
    expect(() => joinReply([...parts, { a: 1 }])).toThrow('the reply mixed parts with whole answers');
  });
});
