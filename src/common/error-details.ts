import { RefusalCode, StartupStrategy } from './startup-strategy';
import { errorKindOf, HIDDEN_VALUE } from './errors';

/** What kind of problem one of this library's errors reports. */
export enum ErrorKind {
  /** A prop, flag or config-file field that cannot work. */
  CONFIGURATION = 'configuration',
  /** The requested startup strategy would deadlock or be rejected under the mesh. */
  STARTUP_REFUSED = 'startup-refused',
  /** Manifest input that cannot be read, e.g. a YAML syntax error. */
  MANIFEST = 'manifest',
}

/** The fields of one of this library's errors. */
export interface ErrorDetails {
  readonly kind: ErrorKind;
  /** The whole message. */
  readonly message: string;
  /**
   * CONFIGURATION: the prop path or flag to change, e.g. `vllm.gpus`.
   * @default none for other kinds
   */
  readonly field?: string;
  /**
   * CONFIGURATION: the rejected value as it appears in the message (JSON, `undefined`, or
   * `(value hidden)` for a likely credential).
   * @default none for other kinds
   */
  readonly value?: string;
  /**
   * CONFIGURATION: what would be accepted, and how to fix it. STARTUP_REFUSED: the mode, the
   * reason and the safe alternatives. MANIFEST: the problem found.
   * @default none when the message has no such part
   */
  readonly fix?: string;
  /**
   * STARTUP_REFUSED: why.
   * @default none for other kinds
   */
  readonly refusal?: RefusalCode;
  /**
   * STARTUP_REFUSED: the refused strategy.
   * @default none for other kinds
   */
  readonly strategy?: StartupStrategy;
  /**
   * MANIFEST: the file name, or `<stdin>`.
   * @default none for other kinds
   */
  readonly source?: string;
  /**
   * MANIFEST: the 1-based line of the problem, when known.
   * @default unknown
   */
  readonly line?: number;
  /**
   * MANIFEST: the 1-based column of the problem, when known.
   * @default unknown
   */
  readonly column?: number;
}

/**
 * Reads this library's errors in any language. jsii carries only an error's message from
 * JavaScript to Python, Java, .NET or Go, so `inspect` takes the caught error or its message:
 * `Errors.inspect(str(e))` in Python, `Errors.inspect(e.getMessage())` in Java.
 */
export class Errors {
  /**
   * The error's kind and fields, or undefined when it is not one of this library's errors.
   * @param error a caught error, or its message
   */
  public static inspect(error: any): ErrorDetails | undefined {
    const message = typeof error === 'string' ? error : error instanceof Error ? error.message : undefined;
    if (message === undefined) return undefined;
    // A message may reach us with a prefix, e.g. the CLI's "--config stack.yaml: ".
    return parseConfiguration(message) ?? parseRefusal(message) ?? parseManifest(message, errorKindOf(error) === ErrorKind.MANIFEST);
  }

  /** Whether `error` (or its message) reports a prop or flag that cannot work. */
  public static isConfigurationError(error: any): boolean {
    return Errors.inspect(error)?.kind === ErrorKind.CONFIGURATION;
  }

  /** Whether `error` (or its message) refuses a startup strategy. */
  public static isStartupRefused(error: any): boolean {
    return Errors.inspect(error)?.kind === ErrorKind.STARTUP_REFUSED;
  }

  private constructor() {}
}

const CONFIGURATION = /^Invalid (.+?): /s;

function parseConfiguration(message: string): ErrorDetails | undefined {
  const start = message.indexOf('Invalid ');
  if (start < 0 || !CONFIGURATION.test(message.slice(start))) return undefined;
  const body = message.slice(start + 'Invalid '.length);
  // The field may itself hold ": " (a bad settings key): take the first split whose value reads back.
  for (let colon = body.indexOf(': '); colon >= 0; colon = body.indexOf(': ', colon + 1)) {
    const rest = body.slice(colon + 2);
    const value = leadingValue(rest);
    if (value === undefined) continue;
    return {
      kind: ErrorKind.CONFIGURATION, message, field: body.slice(0, colon), value,
      fix: rest.slice(value.length + 2),
    };
  }
  return undefined;
}

/** The value at the start of `text` if it is followed by ". ": JSON, undefined, or the hidden marker. */
function leadingValue(text: string): string | undefined {
  for (const word of ['undefined', HIDDEN_VALUE]) {
    if (text.startsWith(`${word}. `)) return word;
  }
  for (let end = text.indexOf('. '); end >= 0; end = text.indexOf('. ', end + 1)) {
    try {
      JSON.parse(text.slice(0, end));
      return text.slice(0, end);
    } catch {
      // not yet the whole value
    }
  }
  return undefined;
}

const REFUSAL = /Startup strategy "([^"]+)" is refused \(([a-z-]+)\) under (.*)$/s;

function parseRefusal(message: string): ErrorDetails | undefined {
  const match = REFUSAL.exec(message);
  const strategy = Object.values(StartupStrategy).find((s) => s === match?.[1]);
  const refusal = Object.values(RefusalCode).find((r) => r === match?.[2]);
  if (!match || !strategy || !refusal) return undefined;
  return { kind: ErrorKind.STARTUP_REFUSED, message, strategy, refusal, fix: match[3] };
}

const MANIFEST_AT = /^(.+?):(\d+):(\d+): (YAML syntax error: .*)$/s;
const MANIFEST = /^(.+?): (expected Kubernetes objects, .*)$/s;

function parseManifest(message: string, known: boolean): ErrorDetails | undefined {
  const at = MANIFEST_AT.exec(message);
  if (at) return { kind: ErrorKind.MANIFEST, message, source: at[1], line: Number(at[2]), column: Number(at[3]), fix: at[4] };
  const plain = MANIFEST.exec(message);
  if (plain) return { kind: ErrorKind.MANIFEST, message, source: plain[1], fix: plain[2] };
  return known ? { kind: ErrorKind.MANIFEST, message } : undefined;
}
