import { Testing } from 'cdk8s';
import { buildDefaultApp } from '../src/main';

describe('default app (src/main.ts)', () => {
  const app = buildDefaultApp(Testing.app());
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
    expect(images.length).toBe(3);
    for (const image of images) expect(image).toMatch(/:[A-Za-z0-9][\w.-]*$/);
    for (const image of images) expect(image).not.toMatch(/:latest$/);
  });
});
