import { Writable } from 'node:stream';
import { createLogger, formatPretty, parseLogLine, PinoLoggerService, readLogConfig, RecurringFailure, type LogConfig, type LogRecord } from './logging.js';

const terminal = { isTTY: true as const, hasColors: () => true };
const pipe = { isTTY: undefined };

/** A logger writing into memory, and the lines it wrote. */
function capture(config: Partial<LogConfig> = {}) {
  const written: string[] = [];
  const output = new Writable({ write: (chunk, _encoding, done) => (written.push(String(chunk)), done()) });
  const logger = createLogger({ format: 'json', level: 'info', colors: false, ...config }, 'compute', output);
  const lines = () => written.join('').split('\n').filter((line) => line !== '');
  return { logger, lines, records: () => lines().map((line) => JSON.parse(line) as LogRecord) };
}

describe('LOG_FORMAT and LOG_LEVEL', () => {
  it('are pretty (coloured) on a terminal and JSON otherwise, at info', () => {
    expect(readLogConfig({}, terminal)).toEqual({ format: 'pretty', level: 'info', colors: true });
    expect(readLogConfig({}, pipe)).toEqual({ format: 'json', level: 'info', colors: false });
    expect(readLogConfig({}, { isTTY: true, hasColors: () => false })).toEqual({ format: 'pretty', level: 'info', colors: false }); // NO_COLOR, TERM=dumb
  });

  it('are what they say; pretty into a file or a pipe has no colours', () => {
    expect(readLogConfig({ LOG_FORMAT: 'json', LOG_LEVEL: 'debug' }, terminal)).toEqual({ format: 'json', level: 'debug', colors: false });
    expect(readLogConfig({ LOG_FORMAT: 'pretty', LOG_LEVEL: 'warn' }, pipe)).toEqual({ format: 'pretty', level: 'warn', colors: false });
  });

  it('name the variable for anything else', () => {
    expect(() => readLogConfig({ LOG_FORMAT: 'text' }, pipe)).toThrow('LOG_FORMAT must be json or pretty, got "text"');
    expect(() => readLogConfig({ LOG_LEVEL: 'verbose' }, pipe)).toThrow('LOG_LEVEL must be one of trace, debug, info, warn, error, fatal, silent, got "verbose"');
  });
});

describe('the JSON log', () => {
  it('is one object a line, with its level by name, the time, the service and the fields given', () => {
    const { logger, lines, records } = capture();
    logger.info({ instanceId: 'i-1', durationMs: 120 }, 'instance started');
    logger.debug('not at info');
    logger.warn('a "quoted"\nmessage');
    expect(lines()).toHaveLength(2);
    expect(records()[0]).toEqual({
      level: 'info', time: expect.stringMatching(/^\d{4}-\d\d-\d\dT/), pid: process.pid, hostname: expect.any(String), service: 'compute',
      instanceId: 'i-1', durationMs: 120, msg: 'instance started',
    });
    expect(records()[1]).toMatchObject({ level: 'warn', msg: 'a "quoted"\nmessage' });
  });

  it('holds no ANSI codes', () => {
    const { logger, lines } = capture();
    logger.error({ err: new Error('boom') }, 'failed');
    expect(lines().join('\n')).not.toContain('\x1b[');
  });
});

describe('a pretty line', () => {
  const record: LogRecord = { level: 'info', time: '2026-01-01T00:00:00.000Z', pid: 1, hostname: 'h', service: 'compute', context: 'instances', msg: 'instance started', instanceId: 'i-1', durationMs: 120, name: 'web one' };

  it('is `[service] [context] message key=value`, its level said unless info', () => {
    expect(formatPretty(record, false)).toBe('[compute] [instances] instance started instanceId=i-1 durationMs=120 name="web one"');
    expect(formatPretty({ ...record, level: 'warn', context: undefined, instanceId: undefined, durationMs: undefined, name: undefined }, false)).toBe('[compute] WARN instance started');
  });

  it('has an error\'s stack on the lines after it, each behind the service', () => {
    const lines = formatPretty({ level: 'error', service: 'gateway', msg: 'internal error', err: { type: 'Error', message: 'boom', stack: 'Error: boom\n    at f (a.js:1:1)' } }, false).split('\n');
    expect(lines).toEqual(['[gateway] ERROR internal error', '[gateway]     Error: boom', '[gateway]     at f (a.js:1:1)']);
  });

  it('is coloured only when asked', () => {
    expect(formatPretty({ ...record, level: 'error' }, true)).toContain('\x1b[31mERROR\x1b[0m');
    expect(formatPretty({ ...record, level: 'error' }, false)).not.toContain('\x1b[');
  });

  it('is what the pretty logger writes', () => {
    const { logger, lines } = capture({ format: 'pretty' });
    logger.child({ context: 'hosts' }).info({ hostId: 'h-1' }, 'host UP');
    expect(lines()).toEqual(['[compute] [hosts] host UP hostId=h-1']);
  });

  it('is read back from a JSON line, and anything else is not one', () => {
    expect(parseLogLine('{"level":"info","service":"compute","msg":"ready"}')).toEqual({ level: 'info', service: 'compute', msg: 'ready' });
    expect(parseLogLine('    at Object.<anonymous> (/x.js:1:1)')).toBeNull();
    expect(parseLogLine('{"not":"a log line"}')).toBeNull();
  });
});

describe("Nest's logger over pino", () => {
  const nest = (level: LogConfig['level'] = 'info') => {
    const captured = capture({ level });
    return { ...captured, service: new PinoLoggerService(captured.logger) };
  };

  it('takes the context from the last argument, fields from an object message, and an error as err', () => {
    const { service, records } = nest();
    service.log('ready', 'compute');
    service.log({ msg: 'instance started', instanceId: 'i-1' }, 'instances');
    service.error(new Error('boom'), undefined, 'graphql');
    expect(records()[0]).toMatchObject({ level: 'info', context: 'compute', msg: 'ready' });
    expect(records()[1]).toMatchObject({ level: 'info', context: 'instances', instanceId: 'i-1', msg: 'instance started' });
    expect(records()[2]).toMatchObject({ level: 'error', context: 'graphql', msg: 'boom', err: { type: 'Error', message: 'boom', stack: expect.stringContaining('Error: boom') } });
  });

  it('keeps the stack of error(message, stack, context)', () => {
    const { service, records } = nest();
    service.error('unexpected', 'Error: x\n    at y (z.js:1:1)', 'requests');
    expect(records()[0]).toMatchObject({ level: 'error', context: 'requests', msg: 'unexpected', err: { stack: 'Error: x\n    at y (z.js:1:1)' } });
  });

  it("puts Nest's module loading and its NATS transports' status changes at debug", () => {
    const { service, records } = nest();
    service.log('GatewayModule dependencies initialized', 'InstanceLoader');
    service.log('Mapped {/health, GET} route', 'RouterExplorer');
    service.error('NatsError: type: "disconnect".', undefined, 'Server');
    service.log('NatsStatus: type: "reconnect".', 'ClientNats');
    service.warn('a real warning', 'InstanceLoader');
    expect(records().map((r) => `${r.level} ${r.msg}`)).toEqual(['warn a real warning']);

    const debug = nest('debug');
    debug.service.log('GatewayModule dependencies initialized', 'InstanceLoader');
    debug.service.error('NatsError: type: "disconnect".', undefined, 'Server');
    expect(debug.records().map((r) => r.level)).toEqual(['debug', 'debug']);
  });

  it('maps verbose to trace and writes nothing below its level', () => {
    const { service, records } = nest('trace');
    service.verbose('detail', 'x');
    expect(records()[0]).toMatchObject({ level: 'trace', msg: 'detail' });
    const quiet = nest('error');
    quiet.service.log('no');
    quiet.service.warn('no');
    expect(quiet.lines()).toEqual([]);
  });
});

describe('a recurring failure', () => {
  it('is logged when it starts, at debug while it repeats, and once when it ends', async () => {
    const said: string[] = [];
    const logger = { log: (m: unknown) => said.push(`log ${m}`), warn: (m: unknown) => said.push(`warn ${m}`), error: (m: unknown) => said.push(`error ${m}`), debug: (m: unknown) => said.push(`debug ${m}`) };
    const failures = new RecurringFailure(logger, 'instance watch');
    const refused = () => Promise.reject(new Error('connect ECONNREFUSED'));
    await failures.run(refused);
    await failures.run(refused);
    await failures.run(refused);
    await failures.run(async () => undefined);
    await failures.run(async () => undefined);
    expect(said).toEqual([
      'error instance watch failed: connect ECONNREFUSED',
      'debug instance watch failed: connect ECONNREFUSED',
      'debug instance watch failed: connect ECONNREFUSED',
      expect.stringMatching(/^log instance watch works again, after \d+\.\d s of failures$/),
    ]);
  });
});
