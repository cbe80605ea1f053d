// The errors this library throws. They are plain TypeScript classes: jsii cannot export a class
// that extends Error, and across languages only an error's message survives. So their messages
// follow one grammar per kind, and `Errors.inspect` (error-details.ts) reads the fields back from
// an error object or from its message alone, in any language.

/** Marks an error as this library's, whichever copy of the package threw it. */
const ERROR_KIND = Symbol.for('cdk8s-h2ogpt.error-kind');

/**
 * Thrown for a prop or flag that cannot work. The message names the field, the bad value and
 * what would be accepted, so a user can fix it without reading the source:
 * `Invalid <field>: <value as JSON>. <fix>`.
 */
export class ConfigurationError extends Error {
  /** The prop path or CLI flag that is wrong, e.g. `vllm.gpus` or `--gpus`. */
  public readonly field: string;
  /** The rejected value. */
  public readonly value: unknown;
  /** What would be accepted, and how to fix it. */
  public readonly expectation: string;

  public constructor(field: string, value: unknown, expectation: string) {
    super(`Invalid ${field}: ${describeValue(value)}. ${expectation}`);
    this.name = 'ConfigurationError';
    this.field = field;
    this.value = value;
    this.expectation = expectation;
    Object.defineProperty(this, ERROR_KIND, { value: 'configuration' });
  }

  /** The same error with its field renamed, e.g. to say which nested prop or CLI flag it was. */
  public renamed(field: string): ConfigurationError {
    return new ConfigurationError(field, this.value, this.expectation);
  }
}

/**
 * Thrown when the requested startup strategy would hang or be rejected under the mesh mode:
 * `Startup strategy "<strategy>" is refused (<refusal code>) under <mode>: <why and the safe ones>`.
 */
export class StartupRefusedError extends Error {
  /** The refused strategy. */
  public readonly strategy: string;
  /** Why: one of RefusalCode's values. */
  public readonly refusal: string;
  public constructor(strategy: string, refusal: string, mode: string, explanation: string) {
    super(`Startup strategy "${strategy}" is refused (${refusal}) under ${mode}: ${explanation}`);
    this.name = 'StartupRefusedError';
    this.strategy = strategy;
    this.refusal = refusal;
    Object.defineProperty(this, ERROR_KIND, { value: 'startup-refused' });
  }
}

/**
 * Unreadable manifest input: `<source>:<line>:<column>: <problem>` when the place is known,
 * `<source>: <problem>` otherwise.
 */
export class ManifestError extends Error {
  public readonly source: string;
  public readonly line?: number;
  public readonly column?: number;
  public readonly problem: string;
  public constructor(source: string, problem: string, line?: number, column?: number) {
    super(`${source}${line === undefined ? '' : `:${line}:${column ?? 1}`}: ${problem}`);
    this.name = 'ManifestError';
    this.source = source;
    this.line = line;
    this.column = line === undefined ? undefined : column ?? 1;
    this.problem = problem;
    Object.defineProperty(this, ERROR_KIND, { value: 'manifest' });
  }
}

/** The kind stamped on one of this library's errors, or undefined for any other value. */
export function errorKindOf(error: unknown): string | undefined {
  return error !== null && typeof error === 'object' ? (error as any)[ERROR_KIND] : undefined;
}

/** Runs `build`, prefixing the field of any ConfigurationError with `prefix` (e.g. "vllm."). */
export function withFieldPrefix<T>(prefix: string, build: () => T): T {
  try {
    return build();
  } catch (error) {
    if (error instanceof ConfigurationError) throw error.renamed(`${prefix}${error.field}`);
    throw error;
  }
}

/** How a rejected value appears in a message: JSON, or one of the two words below. */
export const HIDDEN_VALUE = '(value hidden)';

export function describeValue(value: unknown): string {
  if (value === undefined) return 'undefined';
  if (value === HIDDEN_VALUE) return HIDDEN_VALUE;
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : JSON.stringify(String(value));
  try {
    return JSON.stringify(value) ?? JSON.stringify(String(value));
  } catch {
    return JSON.stringify(String(value));
  }
}
