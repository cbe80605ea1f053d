/**
 * Thrown for a prop or flag that cannot work. The message names the field, the bad value and
 * what would be accepted, so a user can fix it without reading the source.
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
  }

  /** The same error with its field renamed, e.g. to say which nested prop or CLI flag it was. */
  public renamed(field: string): ConfigurationError {
    return new ConfigurationError(field, this.value, this.expectation);
  }
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

function describeValue(value: unknown): string {
  if (value === undefined) return 'undefined';
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number') return String(value);
  try {
    return JSON.stringify(value);
  } catch {
    return String(value);
  }
}
