import { text } from 'node:stream/consumers';
import type { Command } from 'commander';
import { UsageError } from '../cli-errors.js';
import { action, type CliIo } from '../command-kit.js';
import { checkContextName, graphqlUrlOf, readConfig, savedContext, usedContext, writeConfig } from '../config/cli-config.js';
import { ApiClient } from '../graphql/api-client.js';
import { formatTable } from '../output/table.js';
import { me } from './contexts.operations.js';

/** `awan login` and `awan context`: which API the other commands use, and with which key. */
export function registerContexts(program: Command, io: CliIo): void {
  action<{ url: string; key: string }>(
    program
      .command('login')
      .description('check an API key against an Awan API and save both as a context (the one in use from now on)')
      .requiredOption('--url <url>', "the gateway's address, e.g. http://127.0.0.1:4000 (/graphql is added)")
      .requiredOption('--key <key>', 'the API key (awan_…); - reads it from stdin, keeping it out of the shell history')
      .addHelpText(
        'after',
        [
          '',
          'The key is checked with the API before anything is saved, under the name --context gives',
          '(default: "default"), in $XDG_CONFIG_HOME/awan/config.json (~/.config/awan/config.json),',
          'a file readable by you alone.',
        ].join('\n'),
      ),
    io,
    async (session, { options }) => {
      const name = checkContextName(session.globals.context ?? 'default');
      const url = graphqlUrlOf(options.url);
      const key = options.key === '-' ? (await text(io.stdin)).trim() : options.key;
      if (!key) throw new UsageError('--key: the API key is empty');
      const { me: account } = await new ApiClient(url, key).request(me, {});
      const file = session.configFile;
      writeConfig(file, savedContext(readConfig(file), name, { url, key }));
      session.print(account, (a) => `Logged in to ${url} as ${a.name} (${a.kind} account ${a.id}); context "${name}" saved in ${file} and in use.\n`);
    },
  );

  const context = program.command('context').description('list the saved contexts, or switch to another');
  action(
    context.command('list').description('the saved contexts (* marks the one in use); keys are never shown'),
    io,
    async (session) => {
      const config = readConfig(session.configFile);
      const contexts = Object.entries(config.contexts).map(([name, saved]) => ({ name, url: saved.url, current: name === config.current }));
      session.print(contexts, (rows) =>
        formatTable(rows, [
          { header: 'CURRENT', value: (c) => (c.current ? '*' : '') },
          { header: 'NAME', value: (c) => c.name },
          { header: 'URL', value: (c) => c.url },
        ]),
      );
    },
  );
  action(
    context.command('use').description('use this context from now on').argument('<name>', 'a saved context'),
    io,
    async (session, { args: [name] }) => {
      const file = session.configFile;
      const config = usedContext(readConfig(file), name);
      writeConfig(file, config);
      session.print({ name, url: config.contexts[name].url }, (c) => `Using context "${c.name}" (${c.url}).\n`);
    },
  );
  action(
    context.command('remove').description('forget a saved context and its key').argument('<name>', 'a saved context'),
    io,
    async (session, { args: [name] }) => {
      const file = session.configFile;
      const config = readConfig(file);
      usedContext(config, name); // refuses an unknown name
      const { [name]: _removed, ...contexts } = config.contexts;
      writeConfig(file, { current: config.current === name ? null : config.current, contexts });
      session.print({ name }, (c) => `Removed context "${c.name}".\n`);
    },
  );
}
