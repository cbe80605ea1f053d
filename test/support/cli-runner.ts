import { spawnSync } from 'child_process';
import { join } from 'path';

// The built CLI (npm test builds lib/ first), two ways. `cliProcess` runs the bin as a user would:
// for what only a process shows (exit status, pipes, stdin, the working folder). `cli` calls the
// same bundle's `main` (what the bin runs) in this process, with stdout and stderr captured: a cold
// Node.js start per case costs about 0.25 CPU-s, and test/cli.test.ts proves the two agree.
const ROOT = join(__dirname, '..', '..');
export const BIN = join(ROOT, 'bin', 'cdk8s-h2ogpt.js');
const bundle = require(join(ROOT, 'lib', 'bundle', 'cli')) as typeof import('../../src/cli/cli');

export interface CliResult { code: number | null; stdout: string; stderr: string }

export function cliProcess(args: string[], input?: string, cwd = ROOT): CliResult {
  const result = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', input: input ?? '', timeout: 60_000, cwd, maxBuffer: 64 << 20 });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

export async function cli(args: string[], input?: string): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  const code = await bundle.main(args, {
    stdout: (text) => { stdout += text; },
    stderr: (text) => { stderr += text; },
    stdinIsTerminal: () => false,
    stdin: async (maxBytes) => {
      if (Buffer.byteLength(input ?? '') > maxBytes) throw new bundle.InputTooLargeError(maxBytes);
      return input ?? '';
    },
  });
  return { code, stdout, stderr };
}
