import { runCli } from './cli.js';

const code = await runCli(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, env: process.env });
process.exitCode = code;
// Output drains before the process ends; a socket still closing does not hold the shell past that.
setTimeout(() => process.exit(code), 2000).unref();
