import { readFileSync } from 'node:fs';
import { PassThrough } from 'node:stream';
import type { Command } from 'commander';
import { buildProgram } from './cli.js';

const DOC = 'docs/cli.md';
const program = buildProgram({ stdout: new PassThrough(), stderr: new PassThrough(), stdin: new PassThrough(), env: {} });

/** A shell command's words, quotes removed (docs/cli.md's examples need no more of the shell than that). */
function wordsOf(segment: string): string[] {
  return [...segment.matchAll(/"([^"]*)"|'([^']*)'|(\S+)/g)].map((m) => m[1] ?? m[2] ?? m[3]);
}

/** Each `awan …` of the page's sh blocks, with its line: after a pipe, `npx`, `VAR=value`s or inside `<( )`. */
function invocations(markdown: string): { line: number; words: string[] }[] {
  const found: { line: number; words: string[] }[] = [];
  let inSh = false;
  markdown.split('\n').forEach((text, index) => {
    if (/^```/.test(text)) return void (inSh = text.trim() === '```sh');
    if (!inSh) return;
    for (const segment of text.replace(/\s+#.*$/, '').split(/\||;|&&|<\(|\)/)) {
      const words = wordsOf(segment);
      while (words.length && (/^[A-Z_]+=/.test(words[0]) || words[0] === 'npx')) words.shift();
      if (words[0] === 'awan') found.push({ line: index + 1, words: words.slice(1) });
    }
  });
  return found;
}

/** What is wrong with `awan <words>` by the command tree: an unknown command or option, a required option or argument left out. */
function problemsOf(words: string[]): string[] {
  let command: Command = program;
  let rest = [...words];
  const options = () => [...command.options, ...program.options];
  const optionNamed = (flag: string) => options().find((o) => o.long === flag || o.short === flag);
  // the root's options may come first (`awan --context dev instances list`)
  while (rest.length && optionNamed(rest[0])) rest = rest.slice(optionNamed(rest[0])!.required ? 2 : 1);
  for (let sub = command.commands.find((c) => c.name() === rest[0]); sub; sub = command.commands.find((c) => c.name() === rest[0])) {
    command = sub;
    rest = rest.slice(1);
  }
  if (rest.includes('--help')) return [];
  if (command.commands.length) return [`"${rest[0] ?? ''}" is no command of awan ${command.name()}`];
  const problems: string[] = [];
  const given = new Set<string>();
  const positional: string[] = [];
  for (let i = 0; i < rest.length; i++) {
    if (!rest[i].startsWith('-') || rest[i] === '-') {
      positional.push(rest[i]);
      continue;
    }
    const option = optionNamed(rest[i]);
    if (!option) {
      problems.push(`${rest[i]} is no option of ${command.name()}`);
      continue;
    }
    given.add(option.long!);
    if (option.required) {
      const value = rest[++i];
      if (option.argChoices && !option.argChoices.includes(value)) problems.push(`${option.long} ${value}: not one of ${option.argChoices.join(', ')}`);
    }
  }
  for (const option of command.options) if (option.mandatory && !given.has(option.long!)) problems.push(`${option.long} is required`);
  const required = command.registeredArguments.filter((a) => a.required).length;
  if (positional.length < required || positional.length > command.registeredArguments.length) {
    problems.push(`takes ${required} to ${command.registeredArguments.length} arguments, not ${positional.length} (${positional.join(' ')})`);
  }
  return problems;
}

describe(`${DOC}'s examples`, () => {
  const examples = invocations(readFileSync(new URL(`../../../${DOC}`, import.meta.url), 'utf8'));

  it('are many', () => {
    expect(examples.length).toBeGreaterThan(50);
  });

  it('are all command lines the CLI takes: its commands, their options and arguments', () => {
    const problems = examples.flatMap(({ line, words }) => problemsOf(words).map((p) => `${DOC}:${line}: awan ${words.join(' ')}: ${p}`));
    expect(problems).toEqual([]);
  });

  it('would be caught were they wrong', () => {
    expect(problemsOf(['instances', 'lst'])).toEqual(['"lst" is no command of awan instances']);
    expect(problemsOf(['instances', 'create', '--name', 'x', '--plan', 'p', '--image', 'i'])).toEqual(['--region is required']);
    expect(problemsOf(['instances', 'get'])).toEqual(['takes 1 to 1 arguments, not 0 ()']);
    expect(problemsOf(['instances', 'list', '--status', 'UP'])).toEqual([expect.stringContaining('--status UP: not one of')]);
    expect(problemsOf(['ips', 'list', '--bogus'])).toEqual(['--bogus is no option of list']);
  });
});
