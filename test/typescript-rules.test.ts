import { Chart } from 'cdk8s';
import { EnvironmentValue, H2oGptStack, MeshMode, Warnings } from '../src/internal';
import { errorOf, find, newChart, podSpec, synth, testApp, waitInitContainers } from './helpers';

// Issue #26: the TypeScript API catches what the CLI catches, with one validation for both.

describe('objects written twice', () => {
  test('two stacks in one chart without a name of their own fail synthesis, naming both construct paths', () => {
    const app = testApp();
    const chart = new Chart(app, 'chat', { disableResourceNameHashes: true });
    new H2oGptStack(chart, 'alpha', { vllm: { model: 'a/b' } });
    new H2oGptStack(chart, 'beta', { vllm: { model: 'c/d' } });
    let message = '';
    try {
      app.synth();
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toContain('Deployment "h2ogpt" is written twice, by chat/alpha/h2ogpt/deployment and by chat/beta/h2ogpt/deployment: the second would replace the first.');
    expect(message).toContain('Service "h2ogpt-vllm" is written twice, by chat/alpha/vllm/service and by chat/beta/vllm/service');
  });

  test('two stacks with their own names, or in two namespaces, synthesize', () => {
    for (const second of [{ name: 'other' }, { namespace: 'elsewhere' }]) {
      const app = testApp();
      const chart = new Chart(app, 'chat', { disableResourceNameHashes: true });
      new H2oGptStack(chart, 'alpha', { vllm: { model: 'a/b' } });
      new H2oGptStack(chart, 'beta', { vllm: { model: 'c/d' }, ...second });
      expect(() => app.synth()).not.toThrow();
    }
  });
});

describe('one model-id rule for the construct and the CLI', () => {
  test.each(['Qwen/Qwen 2.5; rm -rf /', '../x', 'a/b/c', '/models/../etc'])('%s is refused by the construct', (model) => {
    expect(errorOf((chart) => new H2oGptStack(chart, 's', { vllm: { model } })).message)
      .toBe(`Invalid vllm.model: ${JSON.stringify(model)}. Use a Hugging Face model id as org/name, e.g. Qwen/Qwen2.5-1.5B-Instruct, or an absolute path to a model folder in the image, without "..".`);
  });

  test('a gated model without a token is a cdk8s warning of the construct', () => {
    const { app, chart } = newChart();
    new H2oGptStack(chart, 's', { vllm: { model: 'meta-llama/Llama-3.1-8B-Instruct' } });
    expect(Warnings.of(app).map((w) => w.message).filter((m) => m.includes('gated'))).toHaveLength(1);
  });
});

describe('the waiter\'s settings reach the container that waits', () => {
  test('WAIT_* in h2ogpt.env is refused in every mode, pointing at the waiter prop', () => {
    for (const mesh of [MeshMode.none(), MeshMode.istioSidecar()]) {
      expect(errorOf((chart) => new H2oGptStack(chart, 's', { mesh, vllm: { model: 'a/b' }, h2ogpt: { env: { WAIT_DEADLINE_SECONDS: EnvironmentValue.fromValue('60') } } })).message)
        .toBe('Invalid h2ogpt.env["WAIT_DEADLINE_SECONDS"]: "WAIT_DEADLINE_SECONDS". The startup waiter reads WAIT_DEADLINE_SECONDS, in whichever container waits (an init container or h2oGPT\'s own); in env it would miss the init container. Set waiter.deadlineSeconds instead.');
    }
  });

  test('waiter.deadlineSeconds lands on the init container without a mesh, and on h2oGPT\'s container with an in-app wait', () => {
    const plain = synth((chart) => new H2oGptStack(chart, 's', { name: 'chat', vllm: { model: 'a/b' }, waiter: { deadlineSeconds: 900 } }));
    const spec = podSpec(find(plain, 'Deployment', 'chat'));
    expect(waitInitContainers(spec)[0].env.find((e: any) => e.name === 'WAIT_DEADLINE_SECONDS').value).toBe('900');
    expect(spec.containers[0].env.find((e: any) => e.name === 'WAIT_DEADLINE_SECONDS')).toBeUndefined();
    const meshed = synth((chart) => new H2oGptStack(chart, 's', { name: 'chat', mesh: MeshMode.istioSidecar(), vllm: { model: 'a/b' }, waiter: { deadlineSeconds: 900 } }));
    expect(podSpec(find(meshed, 'Deployment', 'chat')).containers[0].env.find((e: any) => e.name === 'WAIT_DEADLINE_SECONDS').value).toBe('900');
  });

  test('a setting given in settings and in env is named as given twice, with both places', () => {
    expect(errorOf((chart) => new H2oGptStack(chart, 's', {
      vllm: { model: 'a/b' },
      h2ogpt: { settings: { H2OGPT_MAX_SEQ_LEN: '4096' }, env: { H2OGPT_MAX_SEQ_LEN: EnvironmentValue.fromValue('8192') } },
    })).message).toBe('Invalid h2ogpt.env["H2OGPT_MAX_SEQ_LEN"]: "H2OGPT_MAX_SEQ_LEN". H2OGPT_MAX_SEQ_LEN is given twice: in settings["H2OGPT_MAX_SEQ_LEN"] and in env["H2OGPT_MAX_SEQ_LEN"]. Keep one of them.');
  });
});
