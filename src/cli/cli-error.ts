// Each command runs from its own bundle (scripts/bundle-cli.js), each with its own copy of this
// class, so the dispatcher recognises a usage error by a registered symbol, not by instanceof.
const USAGE_ERROR = Symbol.for('cdk8s-h2ogpt.cli-usage-error');

/** A usage error: the CLI prints the message on stderr and exits 2. */
export class CliUsageError extends Error {
  /** Whether `error` is a CliUsageError, whichever copy of the module made it. */
  public static is(error: unknown): error is CliUsageError {
    return error !== null && typeof error === 'object' && USAGE_ERROR in error;
  }

  public constructor(message: string) {
    super(message);
    this.name = 'CliUsageError';
    Object.defineProperty(this, USAGE_ERROR, { value: true });
  }
}

/** What a command prints and its exit code; commands never call process.exit themselves. */
export interface CommandIo {
  readonly stdout: (text: string) => void;
  /** Resolves once stdout has room again, so a long report streams at the reader's pace. */
  readonly stdoutDrained?: () => Promise<void>;
  readonly stderr: (text: string) => void;
  /** All of stdin as text; rejects with an InputTooLargeError once it passes `maxBytes`, having read no more. */
  readonly stdin?: (maxBytes: number) => Promise<string>;
  /** Whether stdin is a terminal (nothing piped in). */
  readonly stdinIsTerminal?: () => boolean;
}

/**
 * An input past the size a command reads (`check --max-input-size`). Known by its name, not by
 * class identity: each command's bundle holds its own copy of this module.
 */
export class InputTooLargeError extends Error {
  public static is(error: unknown): error is InputTooLargeError {
    return error instanceof Error && error.name === 'InputTooLargeError';
  }

  public constructor(public readonly maxBytes: number) {
    super(`more than ${maxBytes} bytes`);
    this.name = 'InputTooLargeError';
  }
}
