import type { Command, Option } from 'commander';

/** One command of the tree as completion needs it: its path (`/instances/list`), what may follow it, and what its options take. */
interface Node {
  path: string;
  words: { word: string; description: string }[];
  /** Options whose value is one of a few words. */
  choices: Map<string, readonly string[]>;
}

const longOf = (option: Option) => option.long ?? option.short ?? '';
const takesValue = (option: Option) => option.required || option.optional;

/** Every command's node, depth first; the root's options are everyone's (commander reads them anywhere). */
function nodesOf(root: Command): { nodes: Node[]; valued: string[] } {
  const globals = root.options.filter((o) => longOf(o) !== '--version');
  const valued = new Set<string>();
  const nodes: Node[] = [];
  const visit = (command: Command, path: string) => {
    const options = [...(command === root ? [] : command.options), ...globals];
    for (const option of options) {
      if (!takesValue(option)) continue;
      for (const flag of [option.long, option.short]) if (flag) valued.add(flag);
    }
    const choices = new Map(options.filter((o) => o.argChoices).map((o) => [longOf(o), o.argChoices!]));
    const argumentChoices = command.registeredArguments.flatMap((a) => a.argChoices ?? []);
    nodes.push({
      path,
      words: [
        ...command.commands.map((c) => ({ word: c.name(), description: c.description() })),
        ...argumentChoices.map((word) => ({ word, description: '' })),
        ...options.map((o) => ({ word: longOf(o), description: o.description })),
        { word: '--help', description: 'show help' },
      ],
      choices,
    });
    for (const sub of command.commands) visit(sub, `${path}/${sub.name()}`);
  };
  visit(root, '');
  return { nodes, valued: [...valued].sort() };
}

const quoted = (text: string) => `'${text.replace(/'/g, `'\\''`)}'`;

/** A bash completion script for the command tree: `source <(awan completion bash)`. */
export function bashCompletion(root: Command): string {
  const name = root.name();
  const { nodes, valued } = nodesOf(root);
  const paths = nodes.filter((n) => n.path).map((n) => n.path);
  const cases = nodes.map((node) => {
    const choices = [...node.choices].map(([option, words]) => `        ${option}) COMPREPLY=($(compgen -W ${quoted(words.join(' '))} -- "$cur")); return ;;`);
    return [
      `    ${quoted(node.path)})`,
      ...(choices.length ? ['      case "$prev" in', ...choices, '      esac'] : []),
      `      COMPREPLY=($(compgen -W ${quoted(node.words.map((w) => w.word).join(' '))} -- "$cur")) ;;`,
    ].join('\n');
  });
  return `# bash completion for ${name}, made from its command tree: source <(${name} completion bash)
_${name}() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" prev="\${COMP_WORDS[COMP_CWORD-1]}" cmdpath="" word i
  for ((i = 1; i < COMP_CWORD; i++)); do
    word="\${COMP_WORDS[i]}"
    case "$word" in
      ${valued.join('|')}) ((i++)); continue ;;
    esac
    case "$cmdpath/$word" in
      ${paths.join('|')}) cmdpath="$cmdpath/$word" ;;
    esac
  done
  case "$cmdpath" in
${cases.join('\n')}
  esac
}
complete -F _${name} ${name}
`;
}

/** A zsh completion script for the command tree, with each word's description: `source <(awan completion zsh)` after compinit. */
export function zshCompletion(root: Command): string {
  const name = root.name();
  const { nodes, valued } = nodesOf(root);
  const paths = nodes.filter((n) => n.path).map((n) => n.path);
  const item = (word: string, description: string) => quoted(description ? `${word.replace(/:/g, '\\:')}:${description}` : word.replace(/:/g, '\\:'));
  const cases = nodes.map((node) => {
    const choices = [...node.choices].map(([option, words]) => `        (${option}) compadd -- ${words.map(quoted).join(' ')}; return ;;`);
    return [
      `    (${quoted(node.path)})`,
      ...(choices.length ? ['      case $prev in', ...choices, '      esac'] : []),
      `      items=(${node.words.map((w) => item(w.word, w.description)).join(' ')}) ;;`,
    ].join('\n');
  });
  return `#compdef ${name}
# zsh completion for ${name}, made from its command tree: autoload -U compinit && compinit; source <(${name} completion zsh)
_${name}() {
  local cmdpath="" word prev="\${words[CURRENT-1]}" i
  local -a items
  for ((i = 2; i < CURRENT; i++)); do
    word="\${words[i]}"
    case $word in
      (${valued.join('|')}) ((i++)); continue ;;
    esac
    case "$cmdpath/$word" in
      (${paths.join('|')}) cmdpath="$cmdpath/$word" ;;
    esac
  done
  case $cmdpath in
${cases.join('\n')}
  esac
  _describe -t commands ${quoted(name)} items
}
compdef _${name} ${name}
`;
}
