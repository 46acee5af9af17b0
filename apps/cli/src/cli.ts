import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Argument, Command, CommanderError, Option } from 'commander';
import { registerAccounts } from './accounts/accounts.command.js';
import { registerCatalog } from './catalog/catalog.command.js';
import { exitCodeOf, messageOf } from './cli-errors.js';
import { type CliIo } from './command-kit.js';
import { bashCompletion, zshCompletion } from './completion/completion.js';
import { registerContexts } from './contexts/contexts.command.js';
import { registerHosts } from './hosts/hosts.command.js';
import { registerInstances } from './instances/instances.command.js';
import { registerInvoices } from './invoices/invoices.command.js';
import { registerIps } from './ips/ips.command.js';
import { registerPools } from './pools/pools.command.js';

/** The package's version, from the package.json above this file (apps/cli/src in the repository, dist/apps/cli/src once built). */
function versionOf(): string {
  for (let dir = path.dirname(fileURLToPath(import.meta.url)); dir !== path.dirname(dir); dir = path.dirname(dir)) {
    const file = path.join(dir, 'package.json');
    if (existsSync(file)) {
      const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'awan') return pkg.version ?? 'unknown';
    }
  }
  return 'unknown';
}

/** The whole command tree, writing to `io`. */
export function buildProgram(io: CliIo): Command {
  const program = new Command('awan')
    .description("Awan's command line: a client of its GraphQL API")
    .version(versionOf(), '--version', 'print the version')
    .addOption(new Option('--context <name>', 'use this saved context instead of the current one (login: the name to save under)'))
    .addOption(new Option('--output <format>', 'table (for people) or json (the API\'s data, for scripts)').choices(['table', 'json']).default('table'))
    .addHelpText(
      'after',
      `
The API and key come from the current context (awan login), or AWAN_URL and AWAN_API_KEY.
Exit codes: 0 ok, 1 a waited-for outcome not reached, 2 usage error, 3 API error, 4 API unreachable.`,
    )
    .exitOverride()
    .showSuggestionAfterError()
    .configureHelp({ showGlobalOptions: true, sortSubcommands: false })
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
      getOutHelpWidth: () => io.stdout.columns ?? 100,
      getErrHelpWidth: () => io.stderr.columns ?? 100,
    });

  registerContexts(program, io);
  registerCatalog(program, io);
  registerHosts(program, io);
  registerPools(program, io);
  registerAccounts(program, io);
  registerInstances(program, io);
  registerIps(program, io);
  registerInvoices(program, io);
  program
    .command('completion')
    .description('print a shell completion script: source <(awan completion bash), or zsh after compinit')
    .addArgument(new Argument('<shell>', 'bash or zsh').choices(['bash', 'zsh']))
    .action((shell: string) => {
      io.stdout.write(shell === 'bash' ? bashCompletion(program) : zshCompletion(program));
    });
  return program;
}

/** Runs one command line; resolves with the exit code (see EXIT). Nothing a user does wrong ends in a stack trace. */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  const program = buildProgram(io);
  try {
    if (argv.length === 0) {
      program.outputHelp({ error: true });
      return exitCodeOf(new CommanderError(1, 'commander.help', ''));
    }
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (error) {
    // commander has written its own message (a missing option, an unknown command) or the help
    if (!(error instanceof CommanderError)) {
      io.stderr.write(`${messageOf(error)}\n`);
      if (io.env.AWAN_DEBUG && error instanceof Error && error.stack) io.stderr.write(`${error.stack}\n`);
    }
    return exitCodeOf(error);
  }
}
