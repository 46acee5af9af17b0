// npm test, after the typecheck, the layer check and the build: the unit and integration tests, then
// the whole-system ones one file at a time, against the servers of scripts/test-servers.ts.
// Extra arguments (`npm test -- <path>`) go to both Jest runs.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { ROOT } from './local-environment.js';
import { testServers } from './test-servers.js';

const jest = path.join(ROOT, 'node_modules/jest/bin/jest.js');
const extra = process.argv.slice(2);
// --forceExit: a handle a failed test left open (a server, a connection) kept Jest from exiting
// after its report, and turned one failed test into a run that never ended. Jest then prints its
// "Force exiting Jest" notice on every run, leak or not: `npm test -- --detectOpenHandles` finds one.
// The test helpers close what they open, failures included.
const runs = [
  ['--selectProjects', 'unit', 'int', '--forceExit'],
  ['--selectProjects', 'e2e', '--runInBand', '--forceExit'],
];

function run(args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((resolve) => {
    // Jest runs in ESM mode: NestJS 12 ships ESM only.
    const child = spawn(process.execPath, ['--experimental-vm-modules', jest, ...extra, ...args], { cwd: ROOT, env, stdio: 'inherit' });
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
}

// Their logs stay out of the test report; a server that fails to start throws, saying why.
const servers = await testServers(process.env, () => undefined);
for (const line of servers.started) console.log(`[test] started ${line} for this run`);
let exitCode = 0;
let interrupted = false;
process.on('SIGINT', () => (interrupted = true));
try {
  for (const args of runs) {
    exitCode = await run(args, { ...process.env, ...servers.env });
    if (exitCode !== 0 || interrupted) break;
  }
} finally {
  await servers.stop();
}
process.exit(exitCode || (interrupted ? 130 : 0));
