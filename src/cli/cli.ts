import { readFileSync } from 'fs';
import { join } from 'path';
import { CliUsageError, CommandIo, InputTooLargeError } from './cli-error';
import { requireWithCodeCache } from '../common/code-cache';
export { InputTooLargeError };
export { loadedCodeCaches, writeCodeCaches } from '../common/code-cache';

// Each command's module is loaded only when that command runs: `check` never loads cdk8s, and
// `--version` loads neither (a cold start is most of a small run).
// In the bundle, each loads from V8's code cache when the build made one (src/common/code-cache.ts).
const synthCommand = () => (requireWithCodeCache(join(__dirname, 'synth-command.js'), join(__dirname, 'synth-command.v8cache'))
  ?? require('./synth-command')) as typeof import('./synth-command');
const checkCommand = () => (requireWithCodeCache(join(__dirname, 'check-command.js'), join(__dirname, 'check-command.v8cache'))
  ?? require('./check-command')) as typeof import('./check-command');

const help = () => `Usage: cdk8s-h2ogpt <command> [options]

Commands:
  synth   write vLLM + h2oGPT manifests for your mesh, with a startup strategy that cannot deadlock
  check   tell whether the pods in any manifests can start under your mesh (init-container deadlocks)
  help    this text (also --help; each command has its own --help)
  version this package's version (also --version)

Run 'cdk8s-h2ogpt <command> --help' for a command's options.

${synthCommand().SYNTH_HELP}

${checkCommand().CHECK_HELP}`;

/** Runs the CLI; returns the exit code. */
export async function main(argv: string[], io: CommandIo): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'synth':
        return synthCommand().runSynth(rest, io);
      case 'check':
        return await checkCommand().runCheck(rest, io);
      case '--version':
      case '-v':
      case 'version':
        io.stdout(`${packageVersion()}\n`);
        return 0;
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        io.stdout(`${help()}\n`);
        return command === undefined ? 2 : 0;
      default:
        throw new CliUsageError(`Unknown command "${command}". Use one of: synth, check, help.`);
    }
  } catch (error) {
    if (CliUsageError.is(error) || isParseArgsError(error)) {
      let message = (error as Error).message;
      if (isParseArgsError(error)) {
        // A value that starts with "-" reads to parseArgs as a flag; say what is wrong with it instead.
        const ambiguous = /Option '(--[\w-]+)' argument is ambiguous/.exec(message)?.[1];
        const value = ambiguous ? rest[rest.indexOf(ambiguous) + 1] : undefined;
        message = ambiguous && value !== undefined
          ? `Invalid ${ambiguous}: "${value}". ${/^-\d/.test(value) ? 'Negative numbers are not accepted; use a whole number of at least 1' : `A value cannot start with "-"; write ${ambiguous}=${value} if that is really meant`}. Run 'cdk8s-h2ogpt ${command} --help' for the options.`
          // parseArgs ends some messages with a hint of its own; keep only its first sentence.
          : `${message.split('. ')[0].replace(/\.$/, '')}. Run 'cdk8s-h2ogpt ${command} --help' for the options.`;
      }
      io.stderr(`cdk8s-h2ogpt${command ? ` ${command}` : ''}: ${message}\n`);
      return 2;
    }
    io.stderr(`cdk8s-h2ogpt: unexpected error: ${(error as Error).stack ?? error}\n`);
    return 1;
  }
}

function packageVersion(): string {
  return JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8')).version;
}

// util.parseArgs throws TypeErrors with these codes for unknown flags and missing values.
function isParseArgsError(error: unknown): boolean {
  const code = (error as { code?: string })?.code ?? '';
  return code.startsWith('ERR_PARSE_ARGS_');
}

/** Entry point of the `cdk8s-h2ogpt` bin. */
export function run(): void {
  // A closed stdout (`cdk8s-h2ogpt synth | head -2`) is the reader's choice, not a crash.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw error;
  });
  const io: CommandIo = {
    stdout: (text) => process.stdout.write(text),
    stdoutDrained: () => (process.stdout.writableNeedDrain ? new Promise((done) => process.stdout.once('drain', done)) : Promise.resolve()),
    stderr: (text) => process.stderr.write(text),
    stdinIsTerminal: () => process.stdin.isTTY === true,
    stdin: async (maxBytes) => {
      const chunks: Buffer[] = [];
      let bytes = 0;
      for await (const chunk of process.stdin) {
        bytes += (chunk as Buffer).length;
        if (bytes > maxBytes) {
          process.stdin.destroy();
          throw new InputTooLargeError(maxBytes);
        }
        chunks.push(chunk as Buffer);
      }
      return Buffer.concat(chunks).toString('utf8');
    },
  };
  main(process.argv.slice(2), io).then((code) => { process.exitCode = code; });
}
