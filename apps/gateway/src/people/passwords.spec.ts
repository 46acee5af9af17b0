import { hashPassword, UNUSABLE_HASH, verifyPassword } from './passwords.js';

describe('passwords', () => {
  it('hashes with scrypt and a salt of its own each time, and verifies', async () => {
    const one = await hashPassword('correct horse battery staple');
    const two = await hashPassword('correct horse battery staple');
    expect(one).toMatch(/^scrypt\$15\$8\$1\$[\w-]{22}\$[\w-]{43}$/);
    expect(one).not.toBe(two);
    expect(one).not.toContain('horse');
    await expect(verifyPassword('correct horse battery staple', one)).resolves.toBe(true);
    await expect(verifyPassword('correct horse battery stapl', one)).resolves.toBe(false);
  });

  it('keeps the cost each hash was made with', async () => {
    const cheap = await hashPassword('a password of twelve', { logN: 10 });
    expect(cheap.startsWith('scrypt$10$')).toBe(true);
    await expect(verifyPassword('a password of twelve', cheap)).resolves.toBe(true);
  });

  it('matches no password with the unusable hash, nor with a stored value of another form', async () => {
    await expect(verifyPassword('', UNUSABLE_HASH)).resolves.toBe(false);
    await expect(verifyPassword('x', 'plain')).resolves.toBe(false);
    await expect(verifyPassword('x', 'scrypt$40$8$1$AA$AA')).resolves.toBe(false);
  });
});
