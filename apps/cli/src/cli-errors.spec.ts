import { CommanderError } from 'commander';
import { ApiError, EXIT, exitCodeOf, messageOf, OperationFailed, UnreachableError, UsageError } from './cli-errors.js';

describe("the CLI's exit codes", () => {
  it.each([
    ['--help', new CommanderError(0, 'commander.helpDisplayed', '(outputHelp)'), EXIT.ok],
    ['--version', new CommanderError(0, 'commander.version', '0.1.0'), EXIT.ok],
    ['help <command>', new CommanderError(0, 'commander.help', '(outputHelp)'), EXIT.ok],
    ['a missing argument', new CommanderError(1, 'commander.missingArgument', "error: missing required argument 'id'"), EXIT.usage],
    ['a missing option', new CommanderError(1, 'commander.missingMandatoryOptionValue', "error: required option '--plan <id>' not specified"), EXIT.usage],
    ['an unknown command', new CommanderError(1, 'commander.unknownCommand', "error: unknown command 'lst'"), EXIT.usage],
    ['a group without its command', new CommanderError(1, 'commander.help', ''), EXIT.usage],
    ['a malformed option value', new CommanderError(1, 'commander.invalidArgument', 'error: option ...'), EXIT.usage],
    ['no login, an unknown context', new UsageError('no context "x"'), EXIT.usage],
    ['the API\'s refusal', new ApiError('NOT_FOUND', 'instance x'), EXIT.api],
    ['no server there', new UnreachableError('http://h:4000/graphql', 'connection refused'), EXIT.unreachable],
    ['an instance that ended in ERROR', new OperationFailed('instance web is ERROR'), EXIT.failed],
    ['a fault of the CLI itself', new TypeError('x is undefined'), EXIT.failed],
  ])('%s exits %i', (_what, error, code) => {
    expect(exitCodeOf(error)).toBe(code);
  });

  it('are 0, 2, 3 and 4 for ok, usage, API and unreachable, as docs/cli.md says', () => {
    expect(EXIT).toEqual({ ok: 0, failed: 1, usage: 2, api: 3, unreachable: 4 });
  });
});

describe("the CLI's error messages", () => {
  it("name the API's contract code", () => {
    expect(messageOf(new ApiError('UNAUTHENTICATED', 'unknown API key'))).toBe('error: UNAUTHENTICATED: unknown API key');
  });

  it('name the field of bad input, once, and the option that gave it', () => {
    const refused = new ApiError('BAD_USER_INPUT', 'input.planId: there is no plan ct-9', 'input.planId');
    expect(messageOf(refused)).toBe('error: BAD_USER_INPUT: input.planId: there is no plan ct-9');
    refused.option = '--plan';
    expect(messageOf(refused)).toBe('error: BAD_USER_INPUT: input.planId: there is no plan ct-9 (option --plan)');
    expect(messageOf(new ApiError('BAD_USER_INPUT', 'must be 1 to 100', 'first'))).toBe('error: BAD_USER_INPUT: first: must be 1 to 100');
  });

  it('name the URL that could not be reached', () => {
    expect(messageOf(new UnreachableError('http://10.0.0.9:4000/graphql', 'connection refused'))).toBe('error: cannot reach the Awan API at http://10.0.0.9:4000/graphql: connection refused');
  });
});
