import { execFileSync } from 'node:child_process';
import { PassThrough } from 'node:stream';
import { buildProgram } from '../cli.js';
import { bashCompletion, zshCompletion } from './completion.js';

const program = buildProgram({ stdout: new PassThrough(), stderr: new PassThrough(), stdin: new PassThrough(), env: {} });
const script = bashCompletion(program);

/** What bash offers after `line` (the last word the one being completed), as it would at a prompt. */
function offered(line: string): string[] {
  const words = line.split(' ');
  const array = words.map((w) => `'${w}'`).join(' ');
  const out = execFileSync('bash', ['-c', `${script}\nCOMP_WORDS=(${array}); COMP_CWORD=${words.length - 1}; _awan; printf '%s\\n' "\${COMPREPLY[@]}"`], { encoding: 'utf8' });
  return out.split('\n').filter(Boolean);
}

describe('bash completion, made from the command tree', () => {
  it('offers the command groups, then their commands', () => {
    expect(offered('awan ')).toEqual(expect.arrayContaining(['login', 'context', 'instances', 'invoices', 'hosts', 'completion', '--output', '--context']));
    expect(offered('awan inv')).toEqual(['invoices']);
    expect(offered('awan instances ')).toEqual(expect.arrayContaining(['list', 'create', 'get', 'start', 'stop', 'reboot', 'resize', 'delete', 'history', 'console']));
    expect(offered('awan instances re')).toEqual(['reboot', 'resize']);
  });

  it("offers a command's options, and the values of those with a few", () => {
    expect(offered('awan instances create --')).toEqual(expect.arrayContaining(['--name', '--plan', '--image', '--region', '--wait', '--timeout', '--help', '--output']));
    expect(offered('awan instances list --status RUN')).toEqual(['RUNNING']);
    expect(offered('awan --output j')).toEqual(['json']);
    expect(offered('awan hosts maintenance h1 o')).toEqual(['on', 'off']);
    expect(offered('awan completion ')).toEqual(expect.arrayContaining(['bash', 'zsh']));
  });

  it("is not misled by an option's value that is also a command's name", () => {
    expect(offered('awan instances create --name list --')).toContain('--plan');
    expect(offered('awan --context instances hosts ')).toEqual(expect.arrayContaining(['list', 'enroll', 'maintenance', 'retire']));
  });
});

describe('zsh completion', () => {
  it('describes each command and option, quoted for the shell', () => {
    const zsh = zshCompletion(program);
    expect(zsh.startsWith('#compdef awan\n')).toBe(true);
    expect(zsh).toContain("'instances:virtual machines and containers");
    expect(zsh).toContain("(--status) compadd -- 'PENDING'");
    expect(zsh).toContain("'--first:how many to show (the API takes 1 to 100)'");
    // a description with a quote stays one word
    expect(zsh).toContain(`'stop:stop an instance: gracefully, then by force after the host'\\''s timeout'`);
  });
});
