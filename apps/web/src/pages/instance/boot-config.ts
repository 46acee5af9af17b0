import type { ApiErrorBody } from '../../api/field-errors.js';

/** The SSH keys typed one a line: the keys (blank lines left out) and the line each was on, counted from 1. */
export function sshKeyLines(text: string): { keys: string[]; lines: number[] } {
  const keys: string[] = [];
  const lines: number[] = [];
  text.split(/\r?\n/).forEach((line, i) => {
    if (line.trim() === '') return;
    keys.push(line.trim());
    lines.push(i + 1);
  });
  return { keys, lines };
}

/**
 * The API names a bad key by its place in the list (`input.sshKeys[1]`); the person typed lines,
 * so its message says the line: `input.sshKeys[1]: line 3 must be one OpenSSH public key line…`.
 */
export function keyErrorsByLine(errors: readonly ApiErrorBody[], lines: readonly number[]): ApiErrorBody[] {
  return errors.map((error) => {
    const field = error.extensions?.field;
    const index = field === undefined ? undefined : /sshKeys\[(\d+)\]$/.exec(field)?.[1];
    if (index === undefined || lines[Number(index)] === undefined || !error.message.startsWith(`${field}: `)) return error;
    return { ...error, message: `${field}: line ${lines[Number(index)]} ${error.message.slice(field!.length + 2)}` };
  });
}
