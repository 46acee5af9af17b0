import { cookiesSecure, isLocalHost, parseCookies, sameOrigin, sessionCookies } from './session-cookies.js';

describe('session cookies', () => {
  it('are HttpOnly (the session), SameSite=Strict, and Secure outside localhost', () => {
    expect(sessionCookies({ token: 't', csrfToken: 'c', maxAgeSeconds: 60 }, true)).toEqual([
      'awan_session=t; HttpOnly; Path=/; Max-Age=60; SameSite=Strict; Secure',
      'awan_csrf=c; Path=/; Max-Age=60; SameSite=Strict; Secure',
    ]);
    expect(sessionCookies(null, false)).toEqual(['awan_session=; HttpOnly; Path=/; Max-Age=0; SameSite=Strict', 'awan_csrf=; Path=/; Max-Age=0; SameSite=Strict']);
    expect(cookiesSecure('localhost:4000', null)).toBe(false);
    expect(cookiesSecure('127.0.0.1:4000', null)).toBe(false);
    expect(cookiesSecure('[::1]:4000', null)).toBe(false);
    expect(cookiesSecure('cloud.example.test', null)).toBe(true);
    expect(cookiesSecure('localhost:4000', 'https://cloud.example.test')).toBe(true);
    expect(isLocalHost('app.localhost')).toBe(true);
  });

  it('are read from a Cookie header', () => {
    expect(parseCookies('a=1; awan_session=xyz; b = 2=3')).toEqual(new Map([['a', '1'], ['awan_session', 'xyz'], ['b', '2=3']]));
    expect(parseCookies(undefined).size).toBe(0);
  });

  it("count only from the gateway's own origin", () => {
    expect(sameOrigin(undefined, 'localhost:4000', null)).toBe(true);
    expect(sameOrigin('http://localhost:4000', 'localhost:4000', null)).toBe(true);
    expect(sameOrigin('https://evil.example', 'localhost:4000', null)).toBe(false);
    expect(sameOrigin('null', 'localhost:4000', null)).toBe(false);
    expect(sameOrigin('https://cloud.example.test', 'internal:4000', 'https://cloud.example.test/')).toBe(true);
    expect(sameOrigin('http://cloud.example.test', 'internal:4000', 'https://cloud.example.test')).toBe(false);
  });
});
