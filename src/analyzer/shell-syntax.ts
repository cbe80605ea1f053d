/**
 * Shell syntax for the analyzer: mvdan/sh's parser (the npm package `mvdan-sh`, its own
 * JavaScript build), loaded on first use, and a cache of parsed scripts. Charts repeat their
 * scripts across pods, so each distinct text is parsed once.
 */

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
    syntax = (require('mvdan-sh') as { syntax: MvdanSyntax }).syntax; // eslint-disable-line @typescript-eslint/no-require-imports
    parser = syntax.NewParser();
    const op = (src: string) => parser!.Parse(src, 'probe').Stmts[0].Cmd.Op as number;
    const redirect = (src: string) => parser!.Parse(src, 'probe').Stmts[0].Redirs[0].Op as number;
    const test = (src: string) => parser!.Parse(`[[ ${src} ]]`, 'probe').Stmts[0].Cmd.X.Op as number;
    const expansion = (src: string) => parser!.Parse(`x ${src}`, 'probe').Stmts[0].Cmd.Args[1].Parts[0].Exp.Op as number;
    operators = {
      and: op('a && b'), or: op('a || b'), pipe: op('a | b'), pipeAll: op('a |& b'),
      heredoc: redirect('a <<E\nx\nE\n'), heredocTabs: redirect('a <<-E\nx\nE\n'), herestring: redirect('a <<< x'),
      defaults: ['${a:-b}', '${a-b}', '${a:=b}', '${a=b}'].map(expansion), alternates: ['${a:+b}', '${a+b}'].map(expansion),
      required: ['${a:?m}', '${a?m}'].map(expansion),
      testNonEmpty: test('-n x'), testEmpty: test('-z x'), testNot: test('! x'),
      testEquals: [test('a == b'), test('a = b')], testNotEquals: test('a != b'), testAnd: test('a && b'), testOr: test('a || b'),
    };
  }
  return syntax;
}

/** The kind of a syntax node, e.g. `CallExpr`, `BinaryCmd`, `Lit`. */
export function nodeType(node: ShellNode): string {
  return load().NodeType(node);
}

/** The parser's operator codes. */
export function shellOperators(): ShellOperators {
  load();
  return operators!;
}

const cache = new Map<string, ShellNode | Error>();
const CACHE_LIMIT = 4096;

/**
 * The syntax tree of a script (bash, which also reads POSIX sh), or the parse error. Trees are
 * shared between callers and must not be changed.
 */
export function parseShell(script: string): ShellNode | Error {
  const cached = cache.get(script);
  if (cached !== undefined) return cached;
  load();
  let result: ShellNode | Error;
  try {
    result = parser!.Parse(script, 'script');
  } catch (error) {
    // The parser throws Go errors, which carry their text in Error().
    const go = error as { Error?: () => string; message?: string };
    result = new Error(typeof go?.Error === 'function' ? go.Error() : String(go?.message ?? error));
  }
  if (cache.size >= CACHE_LIMIT) cache.clear();
  cache.set(script, result);
  return result;
}
