import { didYouMean } from '../common/suggest';
import { CliUsageError } from './cli-error';
/**
 * One command-line flag, declared once: the parser's option, its line in the help and the
 * stack props it sets (so that an error about a prop names the flag the user wrote).
 */
export interface Flag {
  /** The long name, without dashes. */
  readonly name: string;
  readonly type: 'string' | 'boolean';
  /** What the value is called in the help, e.g. `MODE`; none for a boolean. */
  readonly value?: string;
  /** The help's description, one string per line. */
  readonly help: readonly string[];
  /** Given more than once, each value is kept. */
  readonly multiple?: boolean;
  /** A boolean that also reads `--no-<name>`, shown as `--name, --no-name`. */
  readonly negatable?: boolean;
  /** Shown as `--no-<name>` only: the flag turns something off. */
  readonly onlyNegated?: boolean;
  readonly short?: string;
  readonly default?: string;
  /** The props (and config-file keys) it sets, as an error names them, e.g. `vllm.gpus`. */
  readonly fields?: readonly string[];
}

/** The options `util.parseArgs` takes for a table of flags, typed per flag so the values it parses are too. */
export type ParserOptions<F extends readonly Flag[]> = {
  [K in F[number] as K['name']]: {
    type: K['type'];
    multiple: K extends { readonly multiple: true } ? true : false;
    short?: string;
    default?: string;
  };
};

/** The options `util.parseArgs` takes for these flags. */
export function parserOptions<F extends readonly Flag[]>(flags: F): ParserOptions<F> {
  const options: Record<string, { type: 'string' | 'boolean'; multiple: boolean; short?: string; default?: string }> = {};
  for (const flag of flags) {
    options[flag.name] = {
      type: flag.type,
      multiple: flag.multiple === true,
      ...(flag.short ? { short: flag.short } : {}),
      ...(flag.default !== undefined ? { default: flag.default } : {}),
    };
  }
  return options as ParserOptions<F>;
}

const USAGE_WIDTH = 22;

/** The help's lines for these flags: the usage, then the description, aligned. */
export function helpLines(flags: readonly Flag[]): string {
  const lines: string[] = [];
  for (const flag of flags) {
    const usage = flag.short ? `-${flag.short}, --${flag.name}`
      : flag.negatable ? `--${flag.name}, --no-${flag.name}`
        : flag.onlyNegated ? `--no-${flag.name}` : `--${flag.name}`;
    const shown = `${usage}${flag.value ? ` ${flag.value}` : ''}`;
    const [first, ...rest] = flag.help;
    lines.push(shown.length < USAGE_WIDTH ? `  ${shown.padEnd(USAGE_WIDTH)} ${first}` : `  ${shown}  ${first}`);
    for (const more of rest) lines.push(`  ${''.padEnd(USAGE_WIDTH)} ${more}`);
  }
  return lines.join('\n');
}

/** The flag that sets each prop, for errors: `vllm.gpus` → `--gpus`. */
export function flagOfField(flags: readonly Flag[]): ReadonlyMap<string, string> {
  const map = new Map<string, string>();
  for (const flag of flags) for (const field of flag.fields ?? []) map.set(field, `--${flag.name}`);
  return map;
}

/**
 * Runs a command's parser; an unknown flag becomes a usage error that names the closest known
 * one (`--gpu`: did you mean --gpus?).
 */
export function parsedWithSuggestions<R>(command: string, flags: readonly Flag[], parse: () => R): R {
  try {
    return parse();
  } catch (error) {
    const code = (error as { code?: string })?.code;
    const unknown = code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' ? /^Unknown option '([^']+)'/.exec((error as Error).message)?.[1] : undefined;
    if (unknown === undefined) throw error;
    const names = flags.flatMap((f) => [
      ...(f.onlyNegated ? [] : [`--${f.name}`]), ...(f.negatable || f.onlyNegated ? [`--no-${f.name}`] : []), ...(f.short ? [`-${f.short}`] : []),
    ]);
    const flag = unknown.split('=')[0];
    throw new CliUsageError(`Unknown option '${flag}'.${didYouMean(flag, names, (n) => n)} Run 'cdk8s-h2ogpt ${command} --help' for the options.`);
  }
}
