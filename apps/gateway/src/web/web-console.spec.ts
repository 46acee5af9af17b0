import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { loadWebConsole, serveWebConsole } from './web-console.js';

describe('the web console, served from a Vite build', () => {
  let dir: string;
  let server: Server;
  let base: string;
  const script = `console.log(${JSON.stringify('awan '.repeat(500))});`;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'web-console-'));
    mkdirSync(path.join(dir, '.vite'));
    mkdirSync(path.join(dir, 'assets'));
    writeFileSync(path.join(dir, '.vite', 'manifest.json'), '{}');
    writeFileSync(path.join(dir, 'index.html'), '<!doctype html><title>Awan</title><script type="module" src="/assets/index-Ab12.js"></script>');
    writeFileSync(path.join(dir, 'assets', 'index-Ab12.js'), script);
    writeFileSync(path.join(dir, 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
    const serve = serveWebConsole(loadWebConsole(dir)!);
    // What the gateway's routes leave: Nest's 404.
    server = createServer((request, response) => serve(request, response, () => response.writeHead(404, { 'content-type': 'application/json' }).end('{"missing":true}')));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
    rmSync(dir, { recursive: true, force: true });
  });

  const html = { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' };

  it('serves a hashed asset with its type, compressed, cached for good', async () => {
    const response = await fetch(`${base}/assets/index-Ab12.js`, { headers: { 'accept-encoding': 'gzip' } });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(response.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(response.headers.get('content-encoding')).toBe('gzip');
    expect(Number(response.headers.get('content-length'))).toBeLessThan(script.length / 10);
    expect(await response.text()).toBe(script); // fetch unzips it
  });

  it('answers the page of any of its routes with index.html, asked again each time, under a policy that loads nothing from elsewhere', async () => {
    for (const page of ['/', '/instances', '/instances/9b0a3c7e-2f1d-4e55-8a4b-1f2e3d4c5b6a', '/set-password?token=abc']) {
      const response = await fetch(`${base}${page}`, { headers: html });
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
      expect(response.headers.get('cache-control')).toBe('no-cache');
      expect(response.headers.get('content-security-policy')).toContain("default-src 'self'");
      expect(await response.text()).toContain('<title>Awan</title>');
    }
    const favicon = await fetch(`${base}/favicon.svg`);
    expect([favicon.status, favicon.headers.get('content-type'), favicon.headers.get('cache-control')]).toEqual([200, 'image/svg+xml', 'no-cache']);
  });

  it('revalidates with its ETag', async () => {
    const first = await fetch(`${base}/`, { headers: html });
    const again = await fetch(`${base}/`, { headers: { ...html, 'if-none-match': first.headers.get('etag')! } });
    expect(again.status).toBe(304);
  });

  it('leaves everything else to the routes and their 404: an API call, a missing file, a write, a path out of the build', async () => {
    for (const [method, url, headers] of [
      ['GET', '/auth/session', { accept: 'application/json' }],
      ['GET', '/assets/gone-Zz99.js', html],
      ['GET', '/invoices/x.pdf', html],
      ['POST', '/instances', html],
      ['GET', '/.vite/manifest.json', {}],
      ['GET', '/assets/../../package.json', html],
    ] as const) {
      const response = await fetch(`${base}${url}`, { method, headers });
      expect(`${method} ${url} ${response.status}`).toBe(`${method} ${url} 404`);
    }
  });

  it('finds no console in a folder Vite did not build (the sources)', () => {
    expect(loadWebConsole(path.join(dir, 'assets'))).toBeNull();
  });
});
