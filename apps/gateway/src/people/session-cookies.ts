/**
 * The session's cookies and the checks a cookie-authenticated request passes (CSRF): the session
 * token in an HttpOnly cookie, its CSRF token in one the console's script reads and sends back in
 * the `X-CSRF-Token` header, and a request from another origin refused.
 */
export const SESSION_COOKIE = 'awan_session';
export const CSRF_COOKIE = 'awan_csrf';
export const CSRF_HEADER = 'x-csrf-token';

/** The cookies of a `Cookie` header, by name (the first of a name wins). */
export function parseCookies(header: string | string[] | undefined): Map<string, string> {
  const cookies = new Map<string, string>();
  for (const line of Array.isArray(header) ? header : header ? [header] : []) {
    for (const pair of line.split(';')) {
      const at = pair.indexOf('=');
      if (at < 1) continue;
      const name = pair.slice(0, at).trim();
      if (!cookies.has(name)) cookies.set(name, pair.slice(at + 1).trim());
    }
  }
  return cookies;
}

/** Whether a Host is this machine's: there a browser takes a cookie without Secure over plain http. */
export function isLocalHost(host: string | undefined): boolean {
  const name = (host ?? '').replace(/:\d+$/, '').replace(/^\[|\]$/g, '').toLowerCase();
  return name === 'localhost' || name.endsWith('.localhost') || name === '::1' || /^127(\.\d{1,3}){3}$/.test(name);
}

/** `Secure` outside localhost, or wherever the gateway's public address is https. */
export function cookiesSecure(host: string | undefined, publicUrl: string | null): boolean {
  if (publicUrl) return publicUrl.startsWith('https:');
  return !isLocalHost(host);
}

/** Set-Cookie values that start a session (`maxAgeSeconds` > 0) or end it (null values, Max-Age=0). */
export function sessionCookies(session: { token: string; csrfToken: string; maxAgeSeconds: number } | null, secure: boolean): string[] {
  const attributes = (maxAge: number) => `Path=/; Max-Age=${maxAge}; SameSite=Strict${secure ? '; Secure' : ''}`;
  if (!session) return [`${SESSION_COOKIE}=; HttpOnly; ${attributes(0)}`, `${CSRF_COOKIE}=; ${attributes(0)}`];
  return [
    `${SESSION_COOKIE}=${session.token}; HttpOnly; ${attributes(session.maxAgeSeconds)}`,
    `${CSRF_COOKIE}=${session.csrfToken}; ${attributes(session.maxAgeSeconds)}`,
  ];
}

/**
 * Whether a browser request came from the gateway's own origin: no Origin header (not a browser's
 * cross-site request), or one whose host is the gateway's public address's, or else the Host the
 * request came to (a proxy may end TLS in front: the scheme is not compared then).
 */
export function sameOrigin(origin: string | undefined, host: string | undefined, publicUrl: string | null): boolean {
  if (origin === undefined) return true;
  let from: URL;
  try {
    from = new URL(origin);
  } catch {
    return false; // "null" (a sandboxed frame, a file) among them
  }
  if (publicUrl) return from.origin === new URL(publicUrl).origin;
  return host !== undefined && from.host.toLowerCase() === host.toLowerCase();
}
