import { base32Decode, base32Encode, hotp, newTotpSecret, totpStep, totpUri, verifyTotp } from './totp.js';

const RFC_KEY = Buffer.from('12345678901234567890');

describe('TOTP', () => {
  it("gives RFC 4226's HOTP values", () => {
    expect([0, 1, 2, 9].map((counter) => hotp(RFC_KEY, counter))).toEqual(['755224', '287082', '359152', '520489']);
  });

  it("gives RFC 6238's SHA-1 values (8 digits, 30 s steps)", () => {
    const at = (seconds: number) => hotp(RFC_KEY, totpStep(seconds * 1000), 8);
    expect([59, 1111111109, 1111111111, 1234567890, 2000000000, 20000000000].map(at)).toEqual(['94287082', '07081804', '14050471', '89005924', '69279037', '65353130']);
  });

  it('round-trips base32, as authenticator apps take a secret', () => {
    expect(base32Encode(RFC_KEY)).toBe('GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ');
    expect(base32Decode('gezdgnbvgy3tqojq gezdgnbvgy3tqojq')).toEqual(RFC_KEY);
    expect(base32Decode(newTotpSecret())).toHaveLength(20);
    expect(() => base32Decode('A1')).toThrow('not base32');
  });

  it('takes a code of now or a step either side, each once, and nothing else', () => {
    const secret = base32Encode(RFC_KEY);
    const now = 1_234_567_890_000;
    const step = totpStep(now);
    const code = (s: number) => hotp(RFC_KEY, s);
    expect(verifyTotp(secret, code(step), now, null)).toBe(step);
    expect(verifyTotp(secret, code(step - 1), now, null)).toBe(step - 1);
    expect(verifyTotp(secret, code(step + 1), now, null)).toBe(step + 1);
    expect(verifyTotp(secret, code(step - 2), now, null)).toBeNull();
    expect(verifyTotp(secret, code(step), now, step)).toBeNull(); // used already
    expect(verifyTotp(secret, 'abcdef', now, null)).toBeNull();
  });

  it('makes the otpauth URI apps read', () => {
    expect(totpUri('Nimbus Cloud', 'ana@example.test', 'ABC')).toBe(
      'otpauth://totp/Nimbus%20Cloud:ana%40example.test?secret=ABC&issuer=Nimbus%20Cloud&algorithm=SHA1&digits=6&period=30',
    );
  });
});
