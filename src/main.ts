import { App, Chart } from 'cdk8s';
import { Warnings } from './common/warnings';
import { H2oGptStack } from './stack/h2ogpt-stack';
import { DEFAULT_MODEL } from './workloads/vllm-server';

/**
 * The default stack that `npm run synth` writes to dist/: Qwen2.5-1.5B-Instruct (Apache-2.0,
 * not gated, so no Hugging Face token) on one GPU, h2oGPT in front of it, no service mesh.
 * It applies as it is to a cluster with an NVIDIA GPU node and a default storage class.
 */
export function buildDefaultApp(app: App = new App()): App {
  const chart = new Chart(app, 'h2ogpt', { disableResourceNameHashes: true });
  new H2oGptStack(chart, 'stack', {
    name: 'h2ogpt',
    vllm: {
      model: DEFAULT_MODEL,
      gpus: 1,
      maxModelLen: 8192,
    },
  });
  return app;
}

if (require.main === module) {
  try {
    const app = buildDefaultApp();
    app.synth();
    // The stack records costs worth a reviewer's attention; this app prints them for `cdk8s synth`.
    Warnings.of(app).forEach((w) => process.stderr.write(`[cdk8s-h2ogpt] warning: ${w.message} (${w.path})\n`));
  } catch (error) {
    // A bad prop or a refused combination is the user's to fix: say what, without a stack trace.
    process.stderr.write(`cdk8s-h2ogpt: ${(error as Error).message}\n`);
    process.exit(1);
  }
}
