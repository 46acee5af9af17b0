import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { Logger, type OnModuleInit } from '@nestjs/common';
import type { HttpAdapterHost } from '@nestjs/core';

/** Where `npm run build` puts the console (vite build of apps/web): dist/apps/web beside this file's dist/apps/gateway. */
export const BUILT_WEB_CONSOLE = fileURLToPath(new URL('../../../web/', import.meta.url));

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

/**
 * Everything the page loads comes from this origin (no CDN); scripts only from files. Styles may
 * also be inline: xterm.js (the serial console) sizes and colours its terminal in <style> elements
 * it writes, and has no nonce option; a style can change how the page looks, never run code.
 */
const CONTENT_SECURITY_POLICY = "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; base-uri 'self'; form-action 'self'; frame-ancestors 'none'; object-src 'none'";

interface StaticFile {
  body: Buffer;
  gzipped: Buffer | null;
  type: string;
  etag: string;
  cacheControl: string;
}

/**
 * The built console's files, read once into memory (a few hundred KB): a request names a key of
 * the map or nothing, so no path of the request ever reaches the file system.
 */
export function loadWebConsole(dir: string): Map<string, StaticFile> | null {
  // A Vite build writes its manifest; apps/web itself (the sources, under ts-jest) has none.
  if (!existsSync(path.join(dir, '.vite', 'manifest.json')) || !existsSync(path.join(dir, 'index.html'))) return null;
  const files = new Map<string, StaticFile>();
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const file = path.join(entry.parentPath, entry.name);
    const urlPath = `/${path.relative(dir, file).split(path.sep).join('/')}`;
    if (urlPath.startsWith('/.vite/')) continue;
    const body = readFileSync(file);
    const type = TYPES[path.extname(file)] ?? 'application/octet-stream';
    const compressible = /^(text\/|application\/json|image\/svg)/.test(type) && body.length > 1024;
    files.set(urlPath, {
      body,
      gzipped: compressible ? gzipSync(body, { level: 9 }) : null,
      type,
      etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`,
      // Vite names assets by their content: they never change. Anything else (index.html above all) is asked again each time.
      cacheControl: urlPath.startsWith('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache',
    });
  }
  return files;
}

/** A navigation to one of the console's own pages: a browser asking for HTML at a path without a file extension. */
const isPageRequest = (request: IncomingMessage, urlPath: string) =>
  !path.posix.extname(urlPath) && (request.headers.accept ?? '').includes('text/html');

/**
 * Answers GET and HEAD with a file of the build, or with index.html for a page of the console
 * (its client-side routes: /instances/<id> reloaded); passes anything else on, to a 404.
 */
export function serveWebConsole(files: Map<string, StaticFile>) {
  const index = files.get('/index.html')!;
  return (request: IncomingMessage, response: ServerResponse, next: () => void): void => {
    if (request.method !== 'GET' && request.method !== 'HEAD') return next();
    const urlPath = (request.url ?? '/').split('?')[0];
    const file = files.get(urlPath) ?? (isPageRequest(request, urlPath) ? index : undefined);
    if (!file) return next();
    const gzip = file.gzipped !== null && /\bgzip\b/.test(String(request.headers['accept-encoding'] ?? ''));
    response.setHeader('content-type', file.type);
    response.setHeader('cache-control', file.cacheControl);
    response.setHeader('etag', file.etag);
    response.setHeader('x-content-type-options', 'nosniff');
    if (file === index) response.setHeader('content-security-policy', CONTENT_SECURITY_POLICY);
    if (file.gzipped) response.setHeader('vary', 'accept-encoding');
    if (request.headers['if-none-match'] === file.etag) {
      response.statusCode = 304;
      return void response.end();
    }
    const body = gzip ? file.gzipped! : file.body;
    if (gzip) response.setHeader('content-encoding', 'gzip');
    response.setHeader('content-length', body.length);
    response.statusCode = 200;
    response.end(request.method === 'HEAD' ? undefined : body);
  };
}

/**
 * The web console (apps/web) at `/`, on the origin of /graphql. Registered at the root module's
 * init, after every controller and the GraphQL endpoint (which the GraphQL module sets up in its own
 * init) and before Nest's 404: it only answers what no route of the gateway answers, so it can
 * never shadow one.
 */
export class WebConsole implements OnModuleInit {
  private readonly logger = new Logger('web');

  constructor(
    private readonly adapter: HttpAdapterHost,
    private readonly dir = BUILT_WEB_CONSOLE,
  ) {}

  onModuleInit(): void {
    const files = loadWebConsole(this.dir);
    if (!files) {
      // The gateway run from its sources (integration tests) has none; npm run build makes it.
      this.logger.debug(`no web console at ${this.dir}: npm run build makes it`);
      return;
    }
    this.adapter.httpAdapter.use(serveWebConsole(files));
    this.logger.debug(`the web console: ${files.size} files from ${this.dir}`);
  }
}
