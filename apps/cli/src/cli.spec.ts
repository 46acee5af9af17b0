import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import type { Command } from 'commander';
import { buildProgram, runCli } from './cli.js';

/** A run of the CLI in this process, its output captured. */
async function awan(argv: string[], env: NodeJS.ProcessEnv = {}) {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (chunk) => (out += chunk));
  stderr.on('data', (chunk) => (err += chunk));
  const code = await runCli(argv, { stdout, stderr, stdin: new PassThrough(), env: { HOME: '/nonexistent', ...env } });
  return { code, stdout: out, stderr: err };
}

/** A server answering every request with `body`: what an API refusal, or something that is no API, looks like on the wire. */
async function answering(status: number, contentType: string, body: string) {
  const server = http.createServer((_req, res) => res.writeHead(status, { 'content-type': contentType }).end(body));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => new Promise((resolve) => server.close(resolve)) };
}

describe('awan, run with a bad command line', () => {
  it('shows help and exits 0 on --help on every command of the tree, each with its description', async () => {
    expect(await awan(['--help'])).toMatchObject({ code: 0, stdout: expect.stringMatching(/^Usage: awan \[options\] \[command\]\n/) });
    expect(await awan(['help', 'hosts'])).toMatchObject({ code: 0, stdout: expect.stringMatching(/^Usage: awan hosts /) });
    const paths: string[][] = [];
    const undescribed: string[] = [];
    const walk = (command: Command, path: string[]) => {
      for (const sub of command.commands) {
        paths.push([...path, sub.name()]);
        if (!sub.description()) undescribed.push([...path, sub.name()].join(' '));
        walk(sub, [...path, sub.name()]);
      }
    };
    walk(buildProgram({ stdout: new PassThrough(), stderr: new PassThrough(), stdin: new PassThrough(), env: {} }), []);
    expect(paths.length).toBeGreaterThan(60);
    for (const path of paths) {
      const run = await awan([...path, '--help']);
      expect([path.join(' '), run.code, run.stdout.split('\n')[0]]).toEqual([path.join(' '), 0, expect.stringMatching(new RegExp(`^Usage: awan ${path.join(' ')} `))]);
    }
    expect(undescribed).toEqual([]);
  });

  it('exits 2 naming what is missing or wrong, with no stack trace', async () => {
    const runs = await Promise.all([
      awan(['instances', 'get']),
      awan(['instances', 'create', '--name', 'web']),
      awan(['instances', 'list', '--first', 'many']),
      awan(['prices', 'set', '--plan', 'ct-512m', '--hourly', '1,50', '--monthly', '10']),
      awan(['instances', 'lst']),
      awan(['instances']),
      awan([]),
      awan(['regions', 'list']),
      awan(['login', '--url', 'localhost:4000', '--key', 'k']),
    ]);
    expect(runs.map((r) => r.code)).toEqual(runs.map(() => 2));
    expect(runs.map((r) => r.stderr.split('\n')[0])).toEqual([
      "error: missing required argument 'id'",
      "error: required option '--plan <id>' not specified",
      "error: option '--first <n>' argument 'many' is invalid. must be a whole number from 1 to 100",
      "error: option '--hourly <price>' argument '1,50' is invalid. must be a decimal number such as 12.50",
      "error: unknown command 'lst'",
      'Usage: awan instances [options] [command]',
      'Usage: awan [options] [command]',
      'error: no API URL and no key: run awan login --url URL --key KEY, or set AWAN_URL and AWAN_API_KEY',
      'error: --url: "localhost:4000" must be an http or https URL',
    ]);
    for (const run of runs) expect(run.stderr).not.toMatch(/\n\s+at /);
  });
});

describe("awan, told no by what answers at the API's URL", () => {
  it("exits 3 with the contract's code, the field and the option that gave it", async () => {
    const api = await answering(200, 'application/json', JSON.stringify({
      errors: [{ message: 'input.planId: there is no plan ct-9', extensions: { code: 'BAD_USER_INPUT', field: 'input.planId' } }],
    }));
    try {
      const run = await awan(['instances', 'create', '--name', 'web', '--plan', 'ct-9', '--image', 'i', '--region', 'local', '--kind', 'CONTAINER'], { AWAN_URL: api.url, AWAN_API_KEY: 'k' });
      expect(run).toEqual({ code: 3, stdout: '', stderr: 'error: BAD_USER_INPUT: input.planId: there is no plan ct-9 (option --plan)\n' });
    } finally {
      await api.close();
    }
  });

  it('exits 4 naming the URL where nothing listens, or something other than the API answers', async () => {
    const web = await answering(404, 'text/html', '<h1>Not Found</h1>');
    await web.close(); // now nothing listens there
    const closed = await awan(['hosts', 'list'], { AWAN_URL: web.url, AWAN_API_KEY: 'k' });
    expect(closed).toMatchObject({ code: 4, stderr: `error: cannot reach the Awan API at ${web.url}/graphql: connection refused (is Awan running there?)\n` });

    const other = await answering(404, 'text/html', '<h1>Not Found</h1>');
    try {
      const run = await awan(['hosts', 'list'], { AWAN_URL: other.url, AWAN_API_KEY: 'k' });
      expect(run).toMatchObject({ code: 4, stderr: expect.stringContaining(`cannot reach the Awan API at ${other.url}/graphql: it answered HTTP 404 (text/html), not the GraphQL API`) });
    } finally {
      await other.close();
    }
  });

  it('exits 4 on a download cut short, leaving the file that was there before; 1 where the file cannot be written', async () => {
    // What the gateway sends when billing fails halfway through a month's CSV: the start, then the connection closed.
    const server = http.createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/csv' });
      res.write('invoice_number,invoice_id\r\nAWN-2026-000001,');
      setTimeout(() => res.destroy(), 50);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const folder = mkdtempSync(path.join(os.tmpdir(), 'awan-cli-'));
    const file = path.join(folder, 'october.csv');
    writeFileSync(file, 'the export of yesterday');
    try {
      const run = await awan(['invoices', 'csv', '--month', '2026-10', '-o', file], { AWAN_URL: `${url}/graphql`, AWAN_API_KEY: 'k' });
      expect(run).toMatchObject({ code: 4, stderr: expect.stringContaining(`cannot reach the Awan API at ${url}/invoices.csv?month=2026-10: the download was cut short`) });
      expect(readdirSync(folder)).toEqual(['october.csv']);
      expect(readFileSync(file, 'utf8')).toBe('the export of yesterday');
      // A file that cannot be written is the CLI's own failure, told before anything is asked.
      const nowhere = await awan(['invoices', 'csv', '--month', '2026-10', '-o', path.join(folder, 'missing', 'october.csv')], { AWAN_URL: `${url}/graphql`, AWAN_API_KEY: 'k' });
      expect(nowhere).toMatchObject({ code: 1, stderr: expect.stringMatching(/^error: .*ENOENT: no such file or directory, open '.*october\.csv\.part'\n$/) });
    } finally {
      await new Promise((resolve) => server.close(resolve));
      rmSync(folder, { recursive: true, force: true });
    }
  });
});
