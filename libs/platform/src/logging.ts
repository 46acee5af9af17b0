import os from 'node:os';
import type { LoggerService } from '@nestjs/common';
import pino from 'pino';

export const LOG_FORMATS = ['json', 'pretty'] as const;
export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];
export type LogLevel = (typeof LOG_LEVELS)[number];

/** How a process logs (README, Configuration): LOG_FORMAT and LOG_LEVEL, and whether its output takes colours. */
export interface LogConfig {
  format: LogFormat;
  level: LogLevel;
  /** ANSI colours: only for pretty lines on a terminal that has them (NO_COLOR, TERM=dumb: none). */
  colors: boolean;
}

/** What the defaults are judged by: the process's stdout. */
export interface Output {
  isTTY?: boolean;
  hasColors?: () => boolean;
}

/**
 * LOG_FORMAT (pretty on a terminal, JSON otherwise) and LOG_LEVEL (info). Anything else stops the
 * process with the variable named.
 */
export function readLogConfig(env: NodeJS.ProcessEnv = process.env, output: Output = process.stdout): LogConfig {
  const terminal = output.isTTY === true;
  const format = (env.LOG_FORMAT || (terminal ? 'pretty' : 'json')) as LogFormat;
  if (!LOG_FORMATS.includes(format)) throw new Error(`LOG_FORMAT must be json or pretty, got "${env.LOG_FORMAT}"`);
  const level = (env.LOG_LEVEL || 'info') as LogLevel;
  if (!LOG_LEVELS.includes(level)) throw new Error(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}, got "${env.LOG_LEVEL}"`);
  return { format, level, colors: format === 'pretty' && terminal && output.hasColors?.() === true };
}

/** A log line as JSON carries it: pino's fields, the process's service, and what the call added. */
export interface LogRecord {
  level: string;
  time?: string;
  service?: string;
  context?: string;
  msg?: string;
  err?: { type?: string; message?: string; stack?: string };
  [field: string]: unknown;
}

/** Fields every line has, or that a pretty line shows in their own place. */
const SHOWN_APART = new Set(['level', 'time', 'pid', 'hostname', 'service', 'context', 'msg', 'err']);
const LEVEL_COLOURS: Record<string, number> = { trace: 90, debug: 90, warn: 33, error: 31, fatal: 35 };
const paint = (colors: boolean, code: number, text: string) => (colors ? `\x1b[${code}m${text}\x1b[0m` : text);
const valueOf = (value: unknown) => (typeof value === 'string' && /^[^\s"=]+$/.test(value) ? value : JSON.stringify(value));

/**
 * One record as a person reads it: `[service] LEVEL [context] message key=value…`, the level left
 * out at info, and an error's stack on the lines after, each with the same prefix.
 */
export function formatPretty(record: LogRecord, colors: boolean): string {
  const prefix = `[${record.service ?? '?'}] `;
  const level = record.level === 'info' ? '' : `${paint(colors, LEVEL_COLOURS[record.level] ?? 0, record.level.toUpperCase())} `;
  const context = record.context ? `${paint(colors, 36, `[${record.context}]`)} ` : '';
  const fields = Object.entries(record)
    .filter(([key, value]) => !SHOWN_APART.has(key) && value !== undefined)
    .map(([key, value]) => `${key}=${valueOf(value)}`)
    .join(' ');
  const line = `${prefix}${level}${context}${record.msg ?? ''}${fields ? ` ${paint(colors, 2, fields)}` : ''}`;
  const stack = record.err?.stack ?? (record.err?.message ? `${record.err.type ?? 'Error'}: ${record.err.message}` : undefined);
  return stack ? [line, ...stack.split('\n').map((l) => `${prefix}    ${l.trim()}`)].join('\n') : line;
}

/** A line as pino wrote it, or null where it is not one (a crash's own output). */
export function parseLogLine(line: string): LogRecord | null {
  try {
    const record = JSON.parse(line) as unknown;
    return record && typeof record === 'object' && typeof (record as LogRecord).level === 'string' ? (record as LogRecord) : null;
  } catch {
    return null;
  }
}

/**
 * The process's logger: one JSON object a line on stdout (`service` in each), or, pretty, the same
 * records formatted in this thread as they are written (pino-pretty's worker thread would cost
 * each process about 50 ms and 20 MB at start).
 */
export function createLogger(config: LogConfig, service: string, output: NodeJS.WritableStream = process.stdout): pino.Logger {
  const options: pino.LoggerOptions = {
    level: config.level,
    base: { pid: process.pid, hostname: os.hostname(), service },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
  };
  // Written at once (stdout is synchronous on Linux, pipes included): nothing is lost when the process exits.
  const write = config.format === 'json' ? (line: string) => output.write(line) : (line: string) => output.write(`${formatPretty(JSON.parse(line) as LogRecord, config.colors)}\n`);
  return pino(options, { write });
}

/** Nest's start-up reports (each module loaded, each route mapped, "successfully started"): debug, not info. */
const FRAMEWORK_CONTEXTS = new Set(['NestFactory', 'InstanceLoader', 'RoutesResolver', 'RouterExplorer', 'NestApplication', 'NestMicroservice', 'GraphQLModule']);
/** Nest's NATS transports report each status change of each connection; the dependency watch says once that NATS is lost, and once that it is back. */
const NATS_STATUS = /^Nats(Status|Error): /;
const isStack = (value: unknown): value is string => typeof value === 'string' && /\n\s+at /.test(value);
const isFields = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Error);

type Level = Exclude<LogLevel, 'silent'>;

/**
 * Nest's logger (NestFactory.create's `logger`), so `new Logger(context)` anywhere writes through
 * pino: the context becomes a field, a message may be an object of fields (`{ msg, instanceId, … }`),
 * and an error (or Nest's `error(message, stack)`) its `err`.
 */
export class PinoLoggerService implements LoggerService {
  constructor(readonly pino: pino.Logger) {}

  log(message: unknown, ...params: unknown[]): void {
    this.write('info', message, params);
  }

  error(message: unknown, ...params: unknown[]): void {
    this.write('error', message, params);
  }

  warn(message: unknown, ...params: unknown[]): void {
    this.write('warn', message, params);
  }

  debug(message: unknown, ...params: unknown[]): void {
    this.write('debug', message, params);
  }

  verbose(message: unknown, ...params: unknown[]): void {
    this.write('trace', message, params);
  }

  fatal(message: unknown, ...params: unknown[]): void {
    this.write('fatal', message, params);
  }

  private write(level: Level, message: unknown, params: unknown[]): void {
    // Nest's Logger puts the context last (after `undefined` for an error without a stack).
    const last = params.at(-1);
    const context = typeof last === 'string' && !isStack(last) ? last : undefined;
    const rest = context === undefined ? params : params.slice(0, -1);
    if (context && ((level === 'info' && FRAMEWORK_CONTEXTS.has(context)) || NATS_STATUS.test(String(message)))) level = 'debug';
    if (!this.pino.isLevelEnabled(level)) return;
    const fields: Record<string, unknown> = context ? { context } : {};
    let msg: string;
    if (message instanceof Error) {
      fields.err = message;
      msg = message.message;
    } else if (isFields(message)) {
      const { msg: text, ...more } = message;
      Object.assign(fields, more);
      msg = text === undefined ? '' : String(text);
    } else {
      msg = String(message);
    }
    for (const param of rest) {
      if (isStack(param)) fields.err = { stack: param };
      else if (param instanceof Error) fields.err = param;
      else if (isFields(param)) Object.assign(fields, param);
    }
    this.pino[level](fields, msg);
  }
}

/**
 * Work that fails again and again while its cause lasts (PostgreSQL or NATS away): its first
 * failure is logged, the repeats only at debug, and the first success after them once.
 */
export class RecurringFailure {
  private failingSince: number | null = null;

  constructor(
    private readonly logger: Pick<LoggerService, 'log' | 'warn' | 'error' | 'debug'>,
    /** What fails, as the lines name it: "instance watch". */
    private readonly what: string,
    private readonly level: 'warn' | 'error' = 'error',
  ) {}

  failed(error: unknown): void {
    const line = `${this.what} failed: ${error instanceof Error ? error.message : String(error)}`;
    if (this.failingSince !== null) return this.logger.debug?.(line);
    this.failingSince = Date.now();
    this.logger[this.level](line);
  }

  succeeded(): void {
    if (this.failingSince === null) return;
    this.logger.log(`${this.what} works again, after ${((Date.now() - this.failingSince) / 1000).toFixed(1)} s of failures`);
    this.failingSince = null;
  }

  /** Runs `work` and reports how it went. */
  async run(work: () => Promise<unknown>): Promise<void> {
    try {
      await work();
      this.succeeded();
    } catch (error) {
      this.failed(error);
    }
  }
}
