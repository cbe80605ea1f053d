/**
 * Shell syntax for the analyzer: mvdan/sh's parser (the npm package `mvdan-sh`, its own
 * JavaScript build), loaded on first use, and a cache of parsed scripts. Charts repeat their
 * scripts across pods, so each distinct text is parsed once.
 */

import { join } from 'path';
import { requireWithCodeCache } from '../common/code-cache';

/** A node of mvdan/sh's syntax tree; `NodeType` names its kind. */
export type ShellNode = any;

interface MvdanSyntax {
  NewParser(): { Parse(src: string, name: string): ShellNode };
  NodeType(node: ShellNode): string;
}

let syntax: MvdanSyntax | undefined;
let parser: { Parse(src: string, name: string): ShellNode } | undefined;
let operators: ShellOperators | undefined;

/** The parser's codes for the operators the model tells apart, read from parsed samples. */
export interface ShellOperators {
  readonly and: number;
  readonly or: number;
  readonly pipe: number;
  readonly pipeAll: number;
  readonly heredoc: number;
  readonly heredocTabs: number;
  readonly herestring: number;
  /** `>`, `>>`, `<>`, `&>`: redirections that write. */
  readonly writes: readonly number[];
  /** `${a:-b}`, `${a-b}`, `${a:=b}`, `${a=b}`: a default when unset (or empty). */
  readonly defaults: readonly number[];
  /** `${a:+b}`, `${a+b}`: b when set. */
  readonly alternates: readonly number[];
  /** `${a:?m}`, `${a?m}`: the value (or an error). */
  readonly required: readonly number[];
  /** `[[ -n x ]]`, `[[ -z x ]]`, `[[ ! x ]]`. */
  readonly testNonEmpty: number;
  readonly testEmpty: number;
  readonly testNot: number;
  /** `[[ a == b ]]`, `[[ a = b ]]`, `[[ a != b ]]`, `[[ a && b ]]`, `[[ a || b ]]`. */
  readonly testEquals: readonly number[];
  readonly testNotEquals: number;
  readonly testAnd: number;
  readonly testOr: number;
}

function load(): MvdanSyntax {
  if (!syntax) {
    // From V8's code cache when the CLI's build made one beside this bundle (src/common/code-cache.ts).
    const module = requireWithCodeCache(require.resolve('mvdan-sh'), join(__dirname, 'mvdan-sh.v8cache')) ?? require('mvdan-sh'); // eslint-disable-line @typescript-eslint/no-require-imports
    syntax = (module as { syntax: MvdanSyntax }).syntax;
    parser = syntax.NewParser();
    const op = (src: string) => parser!.Parse(src, 'probe').Stmts[0].Cmd.Op as number;
    const redirect = (src: string) => parser!.Parse(src, 'probe').Stmts[0].Redirs[0].Op as number;
    const test = (src: string) => parser!.Parse(`[[ ${src} ]]`, 'probe').Stmts[0].Cmd.X.Op as number;
    const expansion = (src: string) => parser!.Parse(`x ${src}`, 'probe').Stmts[0].Cmd.Args[1].Parts[0].Exp.Op as number;
    operators = {
      and: op('a && b'), or: op('a || b'), pipe: op('a | b'), pipeAll: op('a |& b'),
      heredoc: redirect('a <<E\nx\nE\n'), heredocTabs: redirect('a <<-E\nx\nE\n'), herestring: redirect('a <<< x'),
      writes: ['a > f', 'a >> f', 'a <> f', 'a &> f'].map(redirect),
      defaults: ['${a:-b}', '${a-b}', '${a:=b}', '${a=b}'].map(expansion), alternates: ['${a:+b}', '${a+b}'].map(expansion),
      required: ['${a:?m}', '${a?m}'].map(expansion),
      testNonEmpty: test('-n x'), testEmpty: test('-z x'), testNot: test('! x'),
      testEquals: [test('a == b'), test('a = b')], testNotEquals: test('a != b'), testAnd: test('a && b'), testOr: test('a || b'),
    };
  }
  return syntax;
}

/** The kind of a node of a tree from parseShell, e.g. `CallExpr`, `BinaryCmd`, `Lit`. */
export function nodeType(node: ShellNode): string {
  return node?.type ?? '';
}

/** The parser's operator codes. */
export function shellOperators(): ShellOperators {
  load();
  return operators!;
}

/**
 * The fields the analyzer reads, per node kind: the parser's tree is copied into plain objects
 * with only these, each node's kind in `type`. Reading the parser's own objects is slow (each
 * field access crosses its Go runtime), and the analyzer walks each tree several times.
 */
const FIELDS: Record<string, readonly string[]> = {
  File: ['Stmts'],
  Stmt: ['Negated', 'Background', 'Cmd', 'Redirs'],
  Redirect: ['Op', 'Word', 'Hdoc'],
  CallExpr: ['Assigns', 'Args'],
  BinaryCmd: ['Op', 'X', 'Y'],
  IfClause: ['Cond', 'Then', 'Else'],
  WhileClause: ['Until', 'Cond', 'Do'],
  ForClause: ['Loop', 'Do'],
  WordIter: ['Name', 'Items'],
  CaseClause: ['Word', 'Items'],
  CaseItem: ['Patterns', 'Stmts'],
  Block: ['Stmts'],
  Subshell: ['Stmts'],
  FuncDecl: ['Name', 'Body'],
  DeclClause: ['Args'],
  TimeClause: ['Stmt'],
  TestClause: ['X'],
  UnaryTest: ['Op', 'X'],
  BinaryTest: ['Op', 'X', 'Y'],
  ParenTest: ['X'],
  Assign: ['Name', 'Value', 'Naked'],
  Word: ['Parts'],
  Lit: ['Value'],
  SglQuoted: ['Value'],
  DblQuoted: ['Parts'],
  ParamExp: ['Param', 'Length', 'Exp', 'Repl', 'Slice', 'Index'],
  Expansion: ['Op', 'Word'],
  CmdSubst: ['Stmts'],
};

// Fields that hold structs which are no syntax node (NodeType refuses them): their kind, or only
// whether they are there.
const STRUCT_FIELDS: Record<string, string | true> = { Exp: 'Expansion', Repl: true, Slice: true };

function plain(node: ShellNode, kind?: string): ShellNode {
  if (node === null || node === undefined) return null;
  if (Array.isArray(node)) return node.map((n) => plain(n));
  if (typeof node !== 'object') return node;
  const type = kind ?? syntax!.NodeType(node);
  const out: Record<string, unknown> = { type };
  for (const field of FIELDS[type] ?? []) {
    const value = node[field];
    const struct = STRUCT_FIELDS[field];
    if (value === null || value === undefined || typeof value !== 'object') out[field] = value ?? null;
    else if (struct === true) out[field] = true;
    else out[field] = plain(value, struct);
  }
  return out;
}

// Charts render one script many times with different names in it (a Service per release, a
// host per pod). Plain words outside quotes are swapped for numbered placeholders, so each
// shape is parsed once and filled in per script. Reserved words, assignments and anything a
// placeholder could change (quotes, `$`, globs, here-documents) are kept as written.
// Words the parser reads as syntax: reserved words, and the builtins it parses specially
// (declarations, `let`), which a placeholder would turn into an ordinary command.
const RESERVED = new Set(['if', 'then', 'else', 'elif', 'fi', 'do', 'done', 'case', 'esac', 'while', 'until', 'for', 'in', 'function', 'select', 'time', 'coproc',
  '!', '{', '}', '[[', ']]']);
// Declarations read their flags and names as syntax: a script with one is parsed as written.
const DECLARATIONS = new Set(['local', 'export', 'declare', 'typeset', 'readonly', 'nameref', 'let']);
const PLAIN_WORD = /^[A-Za-z0-9._/:,@%+-]+$/;
const PLACEHOLDER = /^__cdk8s_w(\d+)__$/;

/** The script with its plain words replaced by placeholders, and those words; undefined to parse it as it is. */
function shapeOf(script: string): { shape: string; words: string[] } | undefined {
  if (script.includes('<<') || script.includes('__cdk8s_w')) return undefined;
  const words: string[] = [];
  let shape = '';
  let i = 0;
  const n = script.length;
  while (i < n) {
    const c = script[i];
    if (c === ' ' || c === '\t' || c === '\n' || c === ';' || c === '&' || c === '|' || c === '(' || c === ')' || c === '<' || c === '>') {
      shape += c;
      i++;
      continue;
    }
    if (c === '#') { // a comment, to the end of the line
      const end = script.indexOf('\n', i);
      const stop = end < 0 ? n : end;
      shape += script.slice(i, stop);
      i = stop;
      continue;
    }
    // A token runs to the next blank or operator outside quotes.
    const start = i;
    let quoted = false;
    while (i < n) {
      const d = script[i];
      if (d === '\\') { quoted = true; i += 2; continue; }
      if (d === "'" || d === '"' || d === '`') {
        quoted = true;
        const close = d === "'" ? script.indexOf("'", i + 1) : findClosing(script, i + 1, d);
        if (close < 0) return undefined;
        i = close + 1;
        continue;
      }
      if (d === '$' && script[i + 1] === '(') {
        quoted = true;
        const close = findParen(script, i + 2);
        if (close < 0) return undefined;
        i = close + 1;
        continue;
      }
      if (d === ' ' || d === '\t' || d === '\n' || d === ';' || d === '&' || d === '|' || d === '(' || d === ')' || d === '<' || d === '>') break;
      if (d === '$') quoted = true;
      i++;
    }
    const token = script.slice(start, i);
    if (DECLARATIONS.has(token)) return undefined;
    // Digits right before `<` or `>` are a file descriptor (`2>&1`), not a word.
    const descriptor = /^\d+$/.test(token) && (script[i] === '<' || script[i] === '>');
    if (!quoted && !descriptor && PLAIN_WORD.test(token) && !RESERVED.has(token)) {
      shape += `__cdk8s_w${words.length}__`;
      words.push(token);
    } else {
      shape += token;
    }
  }
  return { shape, words };
}

/** The index of the quote that closes one opened before `from` (backslash escapes honoured). */
function findClosing(text: string, from: number, quote: string): number {
  for (let i = from; i < text.length; i++) {
    if (text[i] === '\\') { i++; continue; }
    if (text[i] === quote) return i;
  }
  return -1;
}

/** The index of the `)` that closes a `$(` opened before `from`, across nesting and quotes. */
function findParen(text: string, from: number): number {
  let depth = 1;
  for (let i = from; i < text.length; i++) {
    const c = text[i];
    if (c === '\\') { i++; continue; }
    if (c === "'") { const close = text.indexOf("'", i + 1); if (close < 0) return -1; i = close; continue; }
    if (c === '"') { const close = findClosing(text, i + 1, '"'); if (close < 0) return -1; i = close; continue; }
    if (c === '(') depth++;
    if (c === ')' && --depth === 0) return i;
  }
  return -1;
}

/** A literal of a tree from parseShell, its placeholder (if it is one) filled from the script's words. */
export function wordOf(value: string, words: readonly string[] | undefined): string {
  if (words === undefined || value.charCodeAt(0) !== 95 || !value.startsWith('__cdk8s_w')) return value;
  const m = PLACEHOLDER.exec(value);
  return m ? words[Number(m[1])] : value;
}

/** A plain tree with its placeholders filled in, for comparing with a tree parsed as written. */
export function filled(node: any, words: readonly string[] | undefined = node?.words): any {
  if (typeof node === 'string') return wordOf(node, words);
  if (Array.isArray(node)) return node.map((n) => filled(n, words));
  if (node === null || typeof node !== 'object') return node;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(node)) if (key !== 'words') out[key] = filled(node[key], words);
  return out;
}

const shapes = new Map<string, ShellNode | Error>();
const cache = new Map<string, ShellNode | Error>();
const CACHE_LIMIT = 4096;

function parsed(script: string): ShellNode | Error {
  const cached = shapes.get(script);
  if (cached !== undefined) return cached;
  load();
  let result: ShellNode | Error;
  try {
    result = plain(parser!.Parse(script, 'script'));
  } catch (error) {
    // The parser throws Go errors, which carry their text in Error().
    const go = error as { Error?: () => string; message?: string };
    result = new Error(typeof go?.Error === 'function' ? go.Error() : String(go?.message ?? error));
  }
  if (shapes.size >= CACHE_LIMIT) shapes.clear();
  shapes.set(script, result);
  return result;
}

/** The tree of a script parsed as written, without the shape cache: what parseShell must equal. */
export function parseShellAsWritten(script: string): ShellNode | Error {
  return parsed(script);
}

/**
 * The syntax tree of a script (bash, which also reads POSIX sh) as plain objects, each node's
 * kind in `type`, or the parse error. Trees are shared between callers and must not be changed.
 */
export function parseShell(script: string): ShellNode | Error {
  const cached = cache.get(script);
  if (cached !== undefined) return cached;
  const shape = shapeOf(script);
  let result: ShellNode | Error;
  if (shape && shape.words.length > 0) {
    const tree = parsed(shape.shape);
    // A parse error is the script's own: read it as written, so the message names its words.
    // The shape's tree is shared; the script's words travel beside it, and readers resolve
    // placeholders with wordOf (cheaper than a copy of the tree per script).
    result = tree instanceof Error ? parsed(script) : { type: 'File', Stmts: tree.Stmts, words: shape.words };
  } else {
    result = parsed(script);
  }
  if (cache.size >= CACHE_LIMIT) cache.clear();
  cache.set(script, result);
  return result;
}
