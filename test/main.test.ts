import { buildDefaultApp } from '../src/main';
import { testApp } from './helpers';

describe('default app (src/main.ts)', () => {
  const app = buildDefaultApp(testApp());
  const objects = app.charts.flatMap((chart) => chart.toJson());

  test('synthesizes the documented default stack: a small open model on 1 GPU, no mesh', () => {
    expect(objects.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual([
      'PersistentVolumeClaim/h2ogpt-vllm-model-cache', 'ServiceAccount/h2ogpt-vllm', 'Deployment/h2ogpt-vllm', 'Service/h2ogpt-vllm',
      'ServiceAccount/h2ogpt', 'ConfigMap/h2ogpt-startup-waiter', 'Deployment/h2ogpt', 'Service/h2ogpt',
      'NetworkPolicy/h2ogpt-vllm', 'NetworkPolicy/h2ogpt',
    ]);
    const vllm = objects.find((o) => o.kind === 'Deployment' && o.metadata.name === 'h2ogpt-vllm');
    const container = vllm.spec.template.spec.containers[0];
    expect(container.args.slice(0, 2)).toEqual(['--model', 'Qwen/Qwen2.5-1.5B-Instruct']);
    expect(container.resources.limits['nvidia.com/gpu']).toBe(1);
    const front = objects.find((o) => o.kind === 'Deployment' && o.metadata.name === 'h2ogpt');
    expect(front.spec.template.metadata.annotations['cdk8s-h2ogpt.io/startup-strategy']).toBe('init-container');
    expect(objects).toMatchSnapshot();
  });

  test('no image is untagged or tagged latest', () => {
    const images = objects.flatMap((o) => {
      const spec = o.spec?.template?.spec;
      return spec ? [...(spec.initContainers ?? []), ...spec.containers].map((c: any) => c.image) : [];
    });
    expect(images.length).toBe(4); // waiter, workspace preparation, h2oGPT, vLLM
    for (const image of images) expect(image).toMatch(/:[A-Za-z0-9][\w.-]*$/);
    for (const image of images) expect(image).not.toMatch(/:latest$/);
  });
});

test('npm run synth leaves only Kubernetes manifests in dist/h2ogpt/, so kubectl apply -f on it works', () => {
  // The same steps as the npm script: the real cdk8s synth with this repo's cdk8s.yaml (validation
  // plugin included), then scripts/tidy-dist.js; written to a scratch copy of the output folder.
  const { spawnSync } = require('child_process'); // eslint-disable-line @typescript-eslint/no-require-imports
  const { mkdtempSync, readdirSync, readFileSync, rmSync } = require('fs'); // eslint-disable-line @typescript-eslint/no-require-imports
  const { join } = require('path'); // eslint-disable-line @typescript-eslint/no-require-imports
  const root = join(__dirname, '..');
  const out = mkdtempSync(join(require('os').tmpdir(), 'cdk8s-h2ogpt-dist-'));
  try {
    const synth = spawnSync(join(root, 'node_modules', '.bin', 'cdk8s'), ['synth', '--no-check-upgrade', '--output', out], { cwd: root, encoding: 'utf8' });
    expect(synth.status).toBe(0);
    expect(readdirSync(out)).toContain('construct-metadata.json'); // what cdk8s itself leaves
    expect(spawnSync(process.execPath, [join(root, 'scripts', 'tidy-dist.js'), out], { cwd: root }).status).toBe(0);
    expect(readdirSync(out)).toEqual(['h2ogpt.k8s.yaml']);
    expect(readFileSync(join(out, 'h2ogpt.k8s.yaml'), 'utf8')).toContain('kind: Deployment');
    expect(JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).scripts.synth).toContain('node scripts/tidy-dist.js dist/h2ogpt');
  } finally {
    rmSync(out, { recursive: true, force: true });
    rmSync(join(root, '.cdk8s', `${require('path').basename(out)}.construct-metadata.json`), { force: true }); // eslint-disable-line @typescript-eslint/no-require-imports
  }
}, 60_000);
