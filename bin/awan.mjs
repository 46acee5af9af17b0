#!/usr/bin/env node
// The `awan` command (package.json "bin"): runs the built CLI, or says how to build it.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const main = new URL('../dist/apps/cli/src/main.js', import.meta.url);
if (!existsSync(main)) {
  process.stderr.write(`awan: ${fileURLToPath(main)} is missing: run npm run build first (in ${fileURLToPath(new URL('..', import.meta.url))})\n`);
  process.exit(1);
}
await import(main.href);
