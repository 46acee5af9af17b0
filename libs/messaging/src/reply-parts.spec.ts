import { joinReply, replyParts } from './reply-parts.js';

/** Text that JSON escapes or encodes in more than a byte: quotes, backslashes, control characters, accents, CJK, and emoji (surrogate pairs). */
const awkward = 'Customer "Ünïcødé" \\ tab\t newline\n nul\u0000 東京 🙂🚀 ';

describe('a reply too large for one NATS message', () => {
  const maxPayload = 1024 + 30; // pieces of a few characters: the emoji's pairs are cut in two

  it('goes in pieces that each make a packet within the limit, and joins back to the same value', () => {
    const reply = { lines: Array.from({ length: 40 }, (_, i) => ({ n: i, description: `${awkward}${i}`, amount: '0.01' })) };
    const parts = replyParts(JSON.stringify(reply), maxPayload);

    expect(parts.length).toBeGreaterThan(200);
    for (const part of parts) {
      const packet = JSON.stringify({ id: '9b1deb4d-3b7d-4bad-9bdd-2b0d7b3dcb6d', response: part, isDisposed: true });
      expect(Buffer.byteLength(packet)).toBeLessThanOrEqual(maxPayload);
    }
    // As the caller receives them: each packet read on its own.
    const received = parts.map((part) => JSON.parse(JSON.stringify(part)) as unknown);
    expect(joinReply(received)).toEqual(reply);
  });

  it('puts as much in each piece as fits, so plain text goes in few messages', () => {
    const parts = replyParts('x'.repeat(10_000), 1024 + 1000);
    const encoded = parts.map((part) => JSON.stringify(Object.values(part)[0]).length);
    expect(Math.max(...encoded)).toBeLessThanOrEqual(1000);
    expect(encoded.slice(0, -1).every((bytes) => bytes >= 990)).toBe(true);
    expect(parts).toHaveLength(11);
  });

  it('leaves a whole answer as it is', () => {
    expect(joinReply([{ total: '1.19' }])).toEqual({ total: '1.19' });
    expect(joinReply(['late'])).toBe('late');
  });

  it('refuses an answer of nothing, or parts mixed with whole answers', () => {
    expect(() => joinReply([])).toThrow('the service answered with nothing');
    expect(() => joinReply([...replyParts('{"a":1}', 1030), { a: 1 }])).toThrow('the reply mixed parts with whole answers');
  });
});
