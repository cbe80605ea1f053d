import { mkdirSync, renameSync, rmSync, writeFileSync } from 'fs';
import { join, resolve } from 'path';
import { parseArgs } from 'util';
import { App, Chart } from 'cdk8s';
import { ConfigurationError } from '../common/errors';
import { MeshMode, MtlsMode } from '../mesh/mesh-mode';
import { StartupRefusedError } from '../startup/decide';
import { StartupStrategy } from '../startup/startup-strategy';
import { H2oGptStack } from '../stack/h2ogpt-stack';
import { CliUsageError, CommandIo } from './cli-error';

export const SYNTH_HELP = `Usage: cdk8s-h2ogpt synth [options]

Synthesizes vLLM + h2oGPT for your service mesh into one manifest, DIR/NAME.k8s.yaml, and
prints the startup strategy it chose and why.

Options:
  --mesh MODE            none | ${MeshMode.names().filter((n) => n !== 'none').join(' | ')} (default: none)
  --cni, --no-cni        whether the mesh's CNI plugin is on (sidecar modes; default: --cni, the worst case)
  --mtls MODE            strict | permissive: how vLLM treats plaintext (default: strict)
  --mesh-version V       the mesh's release, e.g. 1.28 or 2.20 (default: unknown; see docs/mesh-facts.md §4)
  --strategy STRATEGY    auto | ${Object.values(StartupStrategy).filter((s) => s !== 'auto').join(' | ')} (default: auto)
  --kubernetes-version V target cluster version, e.g. 1.30 (default: 1.30; native sidecars need 1.29+)
  --name NAME            installation name (default: h2ogpt)
  --namespace NS         namespace of every object (default: none, i.e. kubectl's current one)
  --model ID             Hugging Face model id (default: Qwen/Qwen2.5-1.5B-Instruct)
  --gpus N               GPUs per vLLM pod (default: 1)
  --tensor-parallel-size N  (default: the GPU count)
  --out DIR              output folder (default: dist)
  -h, --help             this text

Exit status: 0 written, 2 bad input or a refused combination (nothing is written).`;

// Which flag a construct field came from, so errors name what the user typed.
const FLAG_OF_FIELD: { [field: string]: string } = {
  'name': '--name',
  'namespace': '--namespace',
  'mesh': '--mesh',
  'mtls': '--mtls',
  'version': '--mesh-version',
  'kubernetesVersion': '--kubernetes-version',
  'startupStrategy': '--strategy',
  'vllm.model': '--model',
  'vllm.gpus': '--gpus',
  'vllm.tensorParallelSize': '--tensor-parallel-size',
};

export function runSynth(argv: string[], io: CommandIo): number {
  const { values } = parseArgs({
    args: argv,
    allowPositionals: false,
    allowNegative: true,
    strict: true,
    options: {
      'mesh': { type: 'string', default: 'none' },
      'cni': { type: 'boolean' },
      'mtls': { type: 'string', default: 'strict' },
      'mesh-version': { type: 'string' },
      'strategy': { type: 'string', default: 'auto' },
      'kubernetes-version': { type: 'string' },
      'name': { type: 'string', default: 'h2ogpt' },
      'namespace': { type: 'string' },
      'model': { type: 'string', default: 'Qwen/Qwen2.5-1.5B-Instruct' },
      'gpus': { type: 'string', default: '1' },
      'tensor-parallel-size': { type: 'string' },
      'out': { type: 'string', default: 'dist' },
      'help': { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    io.stdout(`${SYNTH_HELP}\n`);
    return 0;
  }

  const strategy = values.strategy as StartupStrategy; // checked by the stack, reported as --strategy
  const gpus = wholeNumber('--gpus', values.gpus!);
  const tensorParallelSize = values['tensor-parallel-size'] === undefined ? undefined : wholeNumber('--tensor-parallel-size', values['tensor-parallel-size']);
  if (!values.out) throw new CliUsageError('Invalid --out: "". Name the folder to write into, e.g. --out dist.');

  let yaml: string;
  let stack: H2oGptStack;
  try {
    const mesh = MeshMode.fromName(values.mesh!, { cni: values.cni, mtls: values.mtls as MtlsMode, version: values['mesh-version'] });
    const app = new App({ outdir: resolve(values.out) });
    const chart = new Chart(app, values.name!, { disableResourceNameHashes: true });
    stack = new H2oGptStack(chart, 'stack', {
      name: values.name,
      namespace: values.namespace,
      mesh,
      startupStrategy: strategy,
      kubernetesVersion: values['kubernetes-version'],
      vllm: { model: values.model!, gpus, tensorParallelSize },
    });
    const warnings: string[] = [];
    const warn = console.warn;
    console.warn = (...args: unknown[]) => { warnings.push(args.join(' ')); };
    try {
      yaml = app.synthYaml();
    } finally {
      console.warn = warn;
    }
    warnings.forEach((w) => io.stderr(`${w}\n`));
  } catch (error) {
    if (error instanceof ConfigurationError) {
      const flag = FLAG_OF_FIELD[error.field];
      throw new CliUsageError(flag ? error.renamed(flag).message : error.message);
    }
    if (error instanceof StartupRefusedError) {
      throw new CliUsageError(`--strategy ${strategy}: ${error.message}`);
    }
    throw error;
  }

  // Only now touch DIR: a temporary file renamed into place, so DIR never holds half a manifest.
  const outDir = resolve(values.out);
  const target = join(outDir, `${values.name}.k8s.yaml`);
  mkdirSync(outDir, { recursive: true });
  const temporary = join(outDir, `.${values.name}.k8s.yaml.${process.pid}.tmp`);
  try {
    writeFileSync(temporary, yaml);
    renameSync(temporary, target);
  } catch (error) {
    rmSync(temporary, { force: true });
    throw error;
  }
  io.stdout(`wrote ${target}\n`);
  io.stdout(`mesh: ${stack.mesh.describe()}\n`);
  io.stdout(`startup strategy: ${stack.startupStrategy}\n`);
  io.stdout(`reason: ${stack.startupReason}\n`);
  return 0;
}

function wholeNumber(flag: string, value: string): number {
  if (!/^\d+$/.test(value)) throw new CliUsageError(`Invalid ${flag}: "${value}". Use a whole number, e.g. ${flag} 1.`);
  return Number(value);
}
