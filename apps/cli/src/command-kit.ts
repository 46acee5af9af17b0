import type { Readable, Writable } from 'node:stream';
import { InvalidArgumentError, Option, type Command } from 'commander';
import { ApiError } from './cli-errors.js';
import { configPath, readConfig, resolveTarget, type Target } from './config/cli-config.js';
import { ApiClient } from './graphql/api-client.js';
import type { Connection, PageVariables } from './graphql/operation.js';

type Terminal = { isTTY?: boolean; columns?: number };

/** What a run of the CLI reads and writes: the process's own, or a test's. */
export interface CliIo {
  stdout: Writable & Terminal;
  stderr: Writable & Terminal;
  stdin: Readable & Terminal & { setRawMode?: (raw: boolean) => unknown };
  env: NodeJS.ProcessEnv;
}

export type OutputFormat = 'table' | 'json';

/** The options every command takes (the root's). */
export interface GlobalOptions {
  context?: string;
  output: OutputFormat;
}

/** One command's run: its options, the API it talks to, and where its output goes. */
export class Session {
  private target: Target | null = null;
  private api: ApiClient | null = null;

  constructor(
    readonly io: CliIo,
    readonly globals: GlobalOptions,
  ) {}

  /** The context's API (or AWAN_URL's), resolved once the command needs it, so a usage error comes first. */
  client(): ApiClient {
    this.api ??= new ApiClient(this.resolved().url, this.resolved().key);
    return this.api;
  }

  private resolved(): Target {
    this.target ??= resolveTarget(readConfig(this.configFile), this.io.env, this.globals.context);
    return this.target;
  }

  get configFile(): string {
    return configPath(this.io.env);
  }

  get json(): boolean {
    return this.globals.output === 'json';
  }

  /** The API's data as JSON with --output json, else as `table` lays it out for a reader. */
  print<T>(data: T, table: (data: T) => string): void {
    this.io.stdout.write(this.json ? `${JSON.stringify(data, null, 2)}\n` : table(data));
  }

  /** A list page: its rows, then (on stderr, so a pipe gets rows alone) where the next page starts. */
  printPage<Node>(page: Connection<Node>, table: (nodes: Node[]) => string): void {
    this.print(page, (p) => table(p.edges.map((e) => e.node)));
    if (!this.json && page.pageInfo.hasNextPage) {
      this.note(`${page.edges.length}${page.totalCount === undefined ? '' : ` of ${page.totalCount}`} shown; the next page: --after ${page.pageInfo.endCursor}`);
    }
  }

  /** A remark for the person at the terminal, never part of the output. */
  note(text: string): void {
    this.io.stderr.write(`${text}\n`);
  }
}

/** What an action gets: its positional arguments and its own options. */
export interface Invocation<Options> {
  args: string[];
  options: Options;
}

/**
 * Sets a command's action. `fields` maps the API's BAD_USER_INPUT fields (`input.planId`) to the
 * options that give them (`--plan`), so a refusal names what the user typed.
 */
export function action<Options>(
  command: Command,
  io: CliIo,
  run: (session: Session, invocation: Invocation<Options>) => Promise<void>,
  fields: Record<string, string> = {},
): Command {
  return command.action(async (...params: unknown[]) => {
    const self = params.at(-1) as Command;
    const session = new Session(io, self.optsWithGlobals<GlobalOptions>());
    try {
      await run(session, { args: self.processedArgs as string[], options: self.opts() as Options });
    } catch (error) {
      if (error instanceof ApiError && error.field) error.option = optionOf(error.field, fields);
      throw error;
    }
  });
}

/** The option for a field, or for the nearest field that contains it (`input.rules[2].ports` under `input.rules`). */
function optionOf(field: string, fields: Record<string, string>): string | undefined {
  for (let name = field; ; ) {
    if (fields[name]) return fields[name];
    const parent = name.replace(/(\.[^.[\]]+|\[\d+\])$/, '');
    if (parent === name) return undefined;
    name = parent;
  }
}

/** A whole number option within bounds (commander names the option in its refusal). */
export const wholeNumber = (min: number, max: number) => (text: string): number => {
  if (!/^\d+$/.test(text) || Number(text) < min || Number(text) > max) throw new InvalidArgumentError(`must be a whole number from ${min} to ${max}`);
  return Number(text);
};

/** An exact decimal, kept as the string typed: money never passes through a float. */
export const decimal = (text: string): string => {
  if (!/^-?\d+(\.\d+)?$/.test(text)) throw new InvalidArgumentError('must be a decimal number such as 12.50');
  return text;
};

export const choiceOption = (flags: string, description: string, choices: readonly string[]) => new Option(flags, description).choices(choices);

/** --first and --after, the API's paging. */
export function paged(command: Command): Command {
  return command
    .addOption(new Option('--first <n>', 'how many to show (the API takes 1 to 100)').argParser(wholeNumber(1, 100)).default(50))
    .option('--after <cursor>', 'start after this cursor (printed under a page that has more)');
}

export const pageOf = (options: PageVariables): PageVariables => ({ first: options.first, after: options.after });
