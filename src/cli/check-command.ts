import { closeSync, openSync, readSync } from 'fs';
import { parseArgs } from 'util';
import { analyzeManifests, ManifestText, ReportWriter } from '../analyzer/analyze';
import { ManifestError } from '../analyzer/manifest-reader';
import { ConfigurationError } from '../common/errors';
import { MeshMode, MtlsMode } from '../mesh/mesh-mode';
import { CliUsageError, CommandIo, InputTooLargeError } from './cli-error';
import { Flag, helpLines, parsedWithSuggestions, parserOptions } from './flag-table';

/** Every flag of `check`, once: the parser and the help come from here. */
const CHECK_FLAGS = [
  { name: 'mesh', type: 'string', value: 'MODE', help: [`none | ${MeshMode.names().filter((n) => n !== 'none').join(' | ')} (required)`] },
  { name: 'cni', type: 'boolean', negatable: true, help: ['whether the mesh\'s CNI plugin is on (sidecar modes; default: --cni)'] },
  { name: 'mtls', type: 'string', value: 'MODE', default: 'strict', help: ['strict | permissive (default: strict)'] },
  {
    name: 'mesh-version', type: 'string', value: 'V',
    help: ['the mesh\'s release, e.g. 1.28 or 2.20 (default: unknown: verdicts', 'that hold for every dataplane the release could give, with a note)'],
  },
  { name: 'format', type: 'string', value: 'FORMAT', default: 'text', help: ['text | json (default: text)'] },
  { name: 'strict', type: 'boolean', help: ['exit 1 on "unknown" verdicts too'] },
  {
    name: 'max-input-size', type: 'string', value: 'N', default: '256Mi',
    help: ['refuse an input larger than this, in bytes or with Ki, Mi or Gi', '(default: 256Mi; at most 500Mi)'],
  },
  { name: 'help', type: 'boolean', short: 'h', help: ['this text'] },
] as const satisfies readonly Flag[];

export const CHECK_HELP = `Usage: cdk8s-h2ogpt check [FILE... | -] --mesh MODE [options]

Reads Kubernetes manifests (multi-document YAML, JSON or kind: List; stdin when no FILE or "-")
and tells, per pod, whether it can start under the mesh: each init container's network
(meshed, unmeshed, captured) and verdict (ok, slow, unknown, fails, deadlock), with the
modelled startup order, where it stops, and the fix. Shell scripts are parsed, including
those mounted from a ConfigMap in the input; "unknown" means the container runs something
check cannot judge, with the reason, for review. Pods, Deployments, StatefulSets, DaemonSets, ReplicaSets,
Jobs and CronJobs are checked; other kinds are skipped.

Options:
${helpLines(CHECK_FLAGS)}

Exit status: 0 no pod deadlocks or fails, 1 some pod does (or, with --strict, some
verdict is unknown), 2 bad input.

Example: helm template my-release ./chart | cdk8s-h2ogpt check --mesh istio-sidecar`;

/** Output held back until the input has proved readable; past it, the report streams. */
const HELD_OUTPUT_BYTES = 1 << 20;
/** The size of each write once the report streams. */
const WRITE_BYTES = 1 << 16;

export async function runCheck(argv: string[], io: CommandIo): Promise<number> {
  const { values, positionals } = parsedWithSuggestions('check', CHECK_FLAGS, () => parseArgs({
    args: argv,
    allowPositionals: true,
    allowNegative: true,
    strict: true,
    options: parserOptions(CHECK_FLAGS),
  }));
  if (values.help) {
    io.stdout(`${CHECK_HELP}\n`);
    return 0;
  }
  if (values.mesh === undefined) {
    throw new CliUsageError(`--mesh is required. Use one of: ${MeshMode.names().join(', ')}.`);
  }
  if (!['text', 'json'].includes(values.format!)) {
    throw new CliUsageError(`Invalid --format: "${values.format}". Use one of: text, json.`);
  }
  let mesh: MeshMode;
  try {
    mesh = MeshMode.fromName(values.mesh!, { cni: values.cni, mtls: values.mtls as MtlsMode, version: values['mesh-version'] });
  } catch (error) {
    if (error instanceof ConfigurationError) throw new CliUsageError(error.renamed(error.field === 'version' ? '--mesh-version' : `--${error.field}`).message);
    throw error;
  }

  if (positionals.length === 0 && io.stdinIsTerminal?.()) {
    throw new CliUsageError('name the manifest files to check, or pipe them in (e.g. helm template ... | cdk8s-h2ogpt check --mesh MODE).');
  }
  const maxBytes = inputSizeFlag(values['max-input-size']!);
  const files = positionals.length > 0 ? positionals : ['-'];
  const inputs: ManifestText[] = [];
  for (const file of files) {
    try {
      inputs.push({ text: file === '-' ? await io.stdin!(maxBytes) : readCapped(file, maxBytes), source: file === '-' ? '<stdin>' : file });
    } catch (error) {
      if (InputTooLargeError.is(error)) {
        throw new CliUsageError(`${file === '-' ? '<stdin>' : file} is larger than --max-input-size ${values['max-input-size']} (${maxBytes} bytes). `
          + 'Check the file is a manifest, split it, or raise --max-input-size (at most 500Mi).');
      }
      const code = (error as NodeJS.ErrnoException).code;
      throw new CliUsageError(`cannot read ${file}: ${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'a folder, not a file' : (error as Error).message}`);
    }
  }
  // Pods are written as they are found, so memory stays flat however large the input. The first
  // MiB is held back: an input that turns out unreadable or empty then prints no partial report
  // (after that, a syntax error further down still exits 2, after the report so far). Past it,
  // output goes out in 64 KiB writes, each waiting for a slow reader (a pipe) to take the last.
  const format = values.format as 'text' | 'json';
  let pending: string[] = [];
  let pendingBytes = 0;
  let streaming = false;
  const flush = () => {
    if (pending.length > 0) io.stdout(pending.join(''));
    pending = [];
    pendingBytes = 0;
  };
  const writer = new ReportWriter(mesh, format, (chunk) => {
    pending.push(chunk);
    pendingBytes += chunk.length;
  });
  let objectCount: number;
  try {
    const pods = analyzeManifests(inputs, mesh);
    for (let step = pods.next(); ; step = pods.next()) {
      if (step.done) {
        objectCount = step.value;
        break;
      }
      writer.pod(step.value);
      if (pendingBytes > (streaming ? WRITE_BYTES : HELD_OUTPUT_BYTES)) {
        streaming = true;
        flush();
        // A slow reader must not make the report pile up in memory.
        await io.stdoutDrained?.();
      }
    }
  } catch (error) {
    if (error instanceof ManifestError) throw new CliUsageError(error.message);
    throw error;
  }
  if (objectCount === 0) {
    // An empty input is most often a failed upstream command (helm template ... | check): never pass it green.
    throw new CliUsageError(`no Kubernetes objects in ${files.map((f) => (f === '-' ? '<stdin>' : f)).join(', ')}; nothing to check. `
      + 'Pipe in rendered manifests (helm template, kubectl get -o yaml), and check that the command producing them succeeded.');
  }
  writer.end();
  flush();
  return writer.failed || (values.strict && writer.unknown > 0) ? 1 : 0;
}

/** The most bytes one input may have: a JavaScript string holds at most about 512 Mi characters. */
const MAX_INPUT_BYTES = 500 * 1024 * 1024;

/** `--max-input-size`: bytes, or a whole number of Ki, Mi or Gi. */
function inputSizeFlag(value: string): number {
  const units: Record<string, number> = { '': 1, 'Ki': 1024, 'Mi': 1024 ** 2, 'Gi': 1024 ** 3 };
  const match = /^(\d+)(Ki|Mi|Gi)?$/.exec(value);
  const bytes = match ? Number(match[1]) * units[match[2] ?? '']! : NaN;
  if (!(bytes >= 1)) throw new CliUsageError(`Invalid --max-input-size: "${value}". Use a whole number of bytes, or of Ki, Mi or Gi, e.g. 256Mi.`);
  if (bytes > MAX_INPUT_BYTES) throw new CliUsageError(`Invalid --max-input-size: "${value}". At most 500Mi: an input is read as one string, and a larger one cannot be.`);
  return bytes;
}

/**
 * A file as text, read in chunks and refused once it passes `maxBytes` (an InputTooLargeError):
 * a device or a pipe that never ends (/dev/zero) stops there instead of filling memory.
 */
function readCapped(path: string, maxBytes: number): string {
  const fd = openSync(path, 'r');
  try {
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const chunk = Buffer.allocUnsafe(Math.min(1 << 20, maxBytes + 1 - total));
      const read = readSync(fd, chunk, 0, chunk.length, null);
      if (read === 0) break;
      total += read;
      if (total > maxBytes) throw new InputTooLargeError(maxBytes);
      chunks.push(chunk.subarray(0, read));
    }
    return Buffer.concat(chunks).toString('utf8');
  } finally {
    closeSync(fd);
  }
}
