/** A usage error: the CLI prints the message on stderr and exits 2. */
export class CliUsageError extends Error {
  public constructor(message: string) {
    super(message);
    this.name = 'CliUsageError';
  }
}

/** What a command prints and its exit code; commands never call process.exit themselves. */
export interface CommandIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  readonly stdin?: () => Promise<string>;
  /** Whether stdin is a terminal (nothing piped in). */
  readonly stdinIsTerminal?: () => boolean;
}
