/**
 * The examples of a Markdown page of the docs, as docs/api.md's "How to read, and run, these
 * examples" describes them: sh blocks run in one shell in order, graphql blocks with the key their
 * first line names and the json block right after them as variables, js blocks as scripts of a
 * second terminal; other json blocks are sample answers, and console blocks a machine's root shell
 * (operations.md's hosts), shown and not run.
 */
export interface Example {
  kind: 'sh' | 'graphql' | 'js';
  /** `docs/api.md:123 (Section)`: what a failure names. */
  name: string;
  /** The `## ` heading it is under. */
  section: string;
  text: string;
  /** A graphql block's variables: the json block right after it. */
  variables?: string;
  /** `# expect: CODE` on a block's first line: the refusal it must answer. */
  expect?: string;
}

const SHELL_NAME = /\$\{?([A-Z][A-Z0-9_]*)/g;

/** The examples of a Markdown file, in order; a block of any other language is refused. */
export function examplesOf(file: string, markdown: string): Example[] {
  const lines = markdown.split('\n');
  const blocks: { lang: string; line: number; text: string; section: string; previousEnd: number }[] = [];
  let section = '';
  let previousEnd = -1;
  for (let i = 0; i < lines.length; i++) {
    const heading = /^## (.+)$/.exec(lines[i]);
    if (heading) section = heading[1];
    // Indented too: a block inside a list item.
    const fence = /^(\s*)```(\S*)\s*$/.exec(lines[i]);
    if (!fence) continue;
    const end = lines.findIndex((line, j) => j > i && /^\s*```\s*$/.test(line));
    if (end < 0) throw new Error(`${file}:${i + 1}: a block that never closes`);
    const text = lines.slice(i + 1, end).map((line) => (line.startsWith(fence[1]) ? line.slice(fence[1].length) : line)).join('\n');
    blocks.push({ lang: fence[2], line: i + 1, text, section, previousEnd });
    previousEnd = end;
    i = end;
  }
  const examples: Example[] = [];
  for (const [index, block] of blocks.entries()) {
    const name = `${file}:${block.line} (${block.section})`;
    if (block.lang === 'sh' || block.lang === 'js') {
      const expect = /^# expect: ([A-Z_]+)$/.exec(block.text.split('\n')[0])?.[1];
      examples.push({ kind: block.lang, name, section: block.section, text: block.text, ...(expect ? { expect } : {}) });
    } else if (block.lang === 'graphql') {
      const next = blocks[index + 1];
      // Its variables: a json block with nothing but blank lines between the two.
      const adjacent = next?.lang === 'json' && lines.slice(next.previousEnd + 1, next.line - 1).every((line) => line.trim() === '');
      examples.push({ kind: 'graphql', name, section: block.section, text: block.text, ...(adjacent ? { variables: next.text } : {}) });
    } else if (block.lang !== 'json' && block.lang !== 'console') {
      throw new Error(`${name}: a \`\`\`${block.lang} block is no kind of example the docs test runs (sh, graphql, js; json and console are shown)`);
    }
  }
  return examples;
}

/** The shell variables an sh example assigns (`NAME=`, `export NAME=`) at the start of a line. */
export function assignedBy(example: Example): string[] {
  return example.kind === 'sh' ? [...example.text.matchAll(/^\s*(?:export\s+)?([A-Z][A-Z0-9_]*)=/gm)].map((m) => m[1]) : [];
}

/** The key variable a graphql example is sent with: its first line, `# as $NAME`. */
export function keyOf(example: Example): string | undefined {
  return /^# as \$([A-Z][A-Z0-9_]*)$/.exec(example.text.split('\n')[0])?.[1];
}

/** The shell variables an example reads: `$NAME` in shell, `# as $KEY` and `"$NAME"` in GraphQL, `process.env` in a script. */
export function readBy(example: Example): string[] {
  if (example.kind === 'sh') return [...example.text.matchAll(SHELL_NAME)].map((m) => m[1]);
  if (example.kind === 'graphql') return [...`${example.text.split('\n')[0]} ${example.variables ?? ''}`.matchAll(SHELL_NAME)].map((m) => m[1]);
  const destructured = /const \{([^}]*)\} = process\.env/.exec(example.text)?.[1].split(',').map((name) => name.trim()) ?? [];
  return [...destructured, ...[...example.text.matchAll(/process\.env\.([A-Z][A-Z0-9_]*)/g)].map((m) => m[1])];
}

/** Why the examples could not run in order: a variable read before any example sets it, a graphql block naming no key. */
export function orderProblems(examples: readonly Example[]): string[] {
  const everSet = new Set(examples.flatMap(assignedBy));
  const setSoFar = new Set<string>();
  const problems: string[] = [];
  for (const example of examples) {
    const assigned = assignedBy(example);
    for (const name of new Set(readBy(example))) {
      if (everSet.has(name) && !setSoFar.has(name) && !assigned.includes(name)) problems.push(`${example.name} reads $${name}, which no earlier example sets`);
    }
    assigned.forEach((name) => setSoFar.add(name));
    if (example.kind === 'graphql' && !keyOf(example)) problems.push(`${example.name}: its first line must say whose key sends it (# as $NAME)`);
  }
  return problems;
}
