import { spawnSync } from 'child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { ApiObject, App, Chart, JsonPatch } from 'cdk8s';
import { k8s } from 'cdk8s-plus-28';
import { H2oGptStack, MeshMode, MtlsMode, StartupCheck, StartupValidation } from '../src/internal';

const ROOT = join(__dirname, '..');
const fixture = (name: string) => join(__dirname, 'fixtures', name);

/** A user's own Deployment whose init container loops on wget, like the historic upstream chart. */
function addWaitingDeployment(chart: Chart, id = 'legacy'): k8s.KubeDeployment {
  return new k8s.KubeDeployment(chart, id, {
    metadata: { name: 'legacy-client' },
    spec: {
      selector: { matchLabels: { app: 'legacy' } },
      template: {
        metadata: { labels: { app: 'legacy' } },
        spec: {
          initContainers: [{ name: 'wait-for-api', image: 'busybox:1.36', command: ['sh', '-c', 'until wget -q -O- http://api:8080/ready; do sleep 5; done'] }],
          containers: [{ name: 'app', image: 'example/app:1.0' }],
        },
      },
    },
  });
}

let work: string;
beforeEach(() => { work = mkdtempSync(join(tmpdir(), 'cdk8s-h2ogpt-check-')); });
afterEach(() => rmSync(work, { recursive: true, force: true }));

describe('synth-time startup check', () => {
  test('a stack checks only its own pods: an unrelated Deployment in its chart synthesizes unless the chart asks', () => {
    const app = new App({ outdir: work });
    const chart = new Chart(app, 'chat', { disableResourceNameHashes: true });
    new H2oGptStack(chart, 'stack', { mesh: MeshMode.istioSidecar(), vllm: { model: 'm' } });
    addWaitingDeployment(chart);
    expect(chart.node.findAll().flatMap((c) => c.node.validate())).toEqual([]);
    app.synth();
    expect(existsSync(join(work, 'chat.k8s.yaml'))).toBe(true);
  });

  test('the chart-wide check, asked for, fails synthesis on the user\'s pod, naming it, its construct and a fix', () => {
    const app = new App({ outdir: work });
    const chart = new Chart(app, 'chat', { disableResourceNameHashes: true });
    new H2oGptStack(chart, 'stack', { mesh: MeshMode.istioSidecar(), vllm: { model: 'm' } });
    addWaitingDeployment(chart);
    StartupCheck.addToChart(chart, MeshMode.istioSidecar());
    expect(() => app.synth()).toThrow(new RegExp(
      'Deployment "legacy-client" \\(construct chat/legacy\\): init container "wait-for-api" deadlocks under Istio sidecar with istio-cni, mTLS strict: '
      + 'waits on api:8080 \\(inferred from wget\\), but istio-cni redirects it to istio-proxy.*Fix: .*move the wait into the app container'));
    expect(readdirSync(work)).toEqual([]); // nothing is written
  });

  test('a stack still fails synthesis when its own pod is patched into a deadlock', () => {
    const app = new App({ outdir: work });
    const chart = new Chart(app, 'chat', { disableResourceNameHashes: true });
    const stack = new H2oGptStack(chart, 'stack', { mesh: MeshMode.istioSidecar(), vllm: { model: 'm' } });
    // vLLM's pod declares no network init containers, so the analyzer reads the command.
    stack.vllm!.deployment.addJsonPatch(JsonPatch.add('/spec/template/spec/initContainers', [
      { name: 'fetch-weights', image: 'curlimages/curl:8.10.1', command: ['sh', '-c', 'until curl -sf http://models.internal:8080/ready; do sleep 5; done'] },
    ]));
    expect(() => app.synth()).toThrow(/Deployment "h2ogpt-vllm" \(construct chat\/stack\/vllm\/deployment\): init container "fetch-weights" deadlocks under Istio sidecar/);
  });

  test('two stacks with different meshes share one chart; each is checked under its own mesh', () => {
    const app = new App({ outdir: work });
    const chart = new Chart(app, 'chat', { disableResourceNameHashes: true });
    const plain = new H2oGptStack(chart, 'plain', { name: 'plain', mesh: MeshMode.none(), vllm: { model: 'm' } });
    const meshed = new H2oGptStack(chart, 'meshed', { name: 'meshed', mesh: MeshMode.istioSidecar(), vllm: { model: 'm' } });
    // The unmeshed stack's init-container wait would deadlock under Istio with CNI; it is not judged by it.
    expect(plain.h2ogpt.deployment.toJson().spec.template.spec.initContainers.map((c: any) => c.name)).toEqual(['wait-for-vllm', 'prepare-workspace']);
    expect(StartupCheck.problems(plain, MeshMode.istioSidecar())).toHaveLength(1);
    expect(meshed.startupStrategy).toBe('in-app-wait');
    app.synth();
    expect(existsSync(join(work, 'chat.k8s.yaml'))).toBe(true);
  });

  test('the same chart synthesizes under the chart-wide check when the mesh makes init containers meshed', () => {
    const app = new App({ outdir: work });
    const chart = new Chart(app, 'chat', { disableResourceNameHashes: true });
    new H2oGptStack(chart, 'stack', { mesh: MeshMode.istioNativeSidecar(), vllm: { model: 'm' } });
    addWaitingDeployment(chart);
    StartupCheck.addToChart(chart, MeshMode.istioNativeSidecar());
    app.synth();
    expect(existsSync(join(work, 'chat.k8s.yaml'))).toBe(true);
  });

  test('each check runs once per synthesis however many charts the app has, and a change between two syntheses is seen', () => {
    const app = new App({ outdir: work });
    const charts = [0, 1, 2].map((i) => new Chart(app, `c${i}`, { disableResourceNameHashes: true, namespace: `ns${i}` }));
    charts.forEach((chart) => new H2oGptStack(chart, 'stack', { mesh: MeshMode.istioSidecar(), vllm: { model: 'm' } }));
    StartupCheck.addToChart(charts[0], MeshMode.istioSidecar());
    const problems = jest.spyOn(StartupCheck, 'problems');
    try {
      app.synth(); // cdk8s validates the app 1 + 3 times: once, then once per chart it renders
      expect(problems).toHaveBeenCalledTimes(4); // three stacks and one chart-wide check, once each
      problems.mockClear();
      addWaitingDeployment(charts[0]);
      expect(() => app.synth()).toThrow(/Deployment "legacy-client" \(construct c0\/legacy\): init container "wait-for-api" deadlocks/);
      // Outside a synthesis nothing is kept: a direct validation computes afresh each time.
      problems.mockClear();
      charts[0].node.validate();
      charts[0].node.validate();
      expect(problems).toHaveBeenCalledTimes(2);
    } finally {
      problems.mockRestore();
    }
  });

  test('the chart-wide check reads the items of a List (an Include of `kubectl get -o yaml`, say) and the chart\'s Namespaces', () => {
    const listed = () => {
      const app = new App({ outdir: work });
      const chart = new Chart(app, 'chat', { disableResourceNameHashes: true });
      const deployment = addWaitingDeployment(new Chart(new App(), 'scratch')).toJson();
      new ApiObject(chart, 'exported', { apiVersion: 'v1', kind: 'List', items: [{ apiVersion: 'v1', kind: 'List', items: [{ ...deployment, metadata: { ...deployment.metadata, namespace: 'legacy' } }] }] } as any);
      StartupCheck.addToChart(chart, MeshMode.istioSidecar());
      return { app, chart };
    };
    const { app } = listed();
    expect(() => app.synth()).toThrow(/Deployment "legacy-client" \(construct chat\/exported\): init container "wait-for-api" deadlocks under Istio sidecar/);
    // The chart's Namespace takes the same pod out of the mesh: its call is now plaintext, which
    // STRICT refuses. So the Namespace was read too.
    const outOfMesh = listed();
    new ApiObject(outOfMesh.chart, 'ns', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'legacy', labels: { 'istio-injection': 'disabled' } } });
    expect(() => outOfMesh.app.synth()).toThrow(/Deployment "legacy-client" \(construct chat\/exported\): init container "wait-for-api" fails under .*its namespace "legacy" turns sidecar injection off/);
  });

  test('any chart can opt in; plaintext under strict mTLS fails too', () => {
    const app = new App({ outdir: work });
    const chart = new Chart(app, 'other');
    addWaitingDeployment(chart);
    StartupCheck.addToChart(chart, MeshMode.linkerdSidecar({ cni: false }));
    StartupCheck.addToChart(chart, MeshMode.linkerdSidecar({ cni: false })); // once per mode
    expect(chart.node.validate()).toHaveLength(1);
    expect(chart.node.validate()[0]).toMatch(/Deployment "legacy-client" \(construct other\/legacy\): init container "wait-for-api" fails under Linkerd sidecar without linkerd-cni, mTLS strict: calls api:8080 .* in plaintext/);
    expect(StartupCheck.problems(chart, MeshMode.linkerdSidecar({ cni: false, mtls: MtlsMode.PERMISSIVE }))).toEqual([]);
  });
});

describe('cdk8s validation plugin', () => {
  function fakeContext(manifests: string[]) {
    const violations: any[] = [];
    const submitted: any[] = [];
    return {
      violations, submitted,
      context: {
        manifests,
        report: { addViolation: (v: any) => violations.push(v), submit: (status: string, metadata?: any) => submitted.push({ status, metadata }) },
        logger: { log: () => undefined },
      },
    };
  }

  test('reports each deadlocked init container with its location and a fix', async () => {
    const { context, violations, submitted } = fakeContext([fixture('upstream-chart.yaml'), fixture('nesting.yaml')]);
    await new StartupValidation({ mesh: 'istio-sidecar' }).validate(context);
    expect(submitted).toEqual([{ status: 'failure', metadata: { mesh: 'Istio sidecar with istio-cni, mTLS strict' } }]);
    expect(violations.map((v) => [v.ruleName, v.violatingResources[0].resourceName, v.violatingResources[0].locations[0]])).toEqual([
      ['init-container-deadlock', 'h2ogpt-web', 'spec.template.spec.initContainers[0]'],
      ['init-container-deadlock', 'db-client', 'spec.template.spec.initContainers[0]'],
      ['init-container-deadlock', 'migrate', 'spec.template.spec.initContainers[0]'],
      ['init-container-deadlock', 'nightly', 'spec.jobTemplate.spec.template.spec.initContainers[0]'],
    ]);
    expect(violations[0].violatingResources[0].manifestPath).toBe(fixture('upstream-chart.yaml'));
    expect(violations[0].fix).toMatch(/^Init container "vllm-check" can never reach its upstream: move the wait into the app container/);
  });

  test('passes clean manifests', async () => {
    const { context, violations, submitted } = fakeContext([fixture('no-network-init.yaml')]);
    await new StartupValidation({ mesh: 'linkerd' }).validate(context);
    expect(violations).toEqual([]);
    expect(submitted[0].status).toBe('success');
  });

  test('bad properties name the property', () => {
    expect(() => new StartupValidation({ mesh: 'consul' })).toThrow(/StartupValidation: Invalid properties\.mesh: "consul"/);
    expect(() => new StartupValidation({ mtls: 'loose' })).toThrow(/StartupValidation: Invalid properties\.mtls: "loose"\. Use one of: strict, permissive/);
  });

  test('a pod whose name another kind shares is named as kind/name, so cdk8s cannot give it the other object\'s construct path', async () => {
    const file = join(work, 'shared-name.yaml');
    writeFileSync(file, readFileSync(fixture('upstream-chart.yaml'), 'utf8')
      + '\n---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: h2ogpt-web\nspec:\n  podSelector: {}\n');
    const { context, violations } = fakeContext([file]);
    await new StartupValidation({ mesh: 'istio-sidecar' }).validate(context);
    expect(violations.map((v) => v.violatingResources[0].resourceName)).toEqual(['h2ogpt/Deployment/h2ogpt-web']);
    // cdk8s looks the construct path up by resourceName in a map keyed by name: this key is not in it.
    const metadata: Record<string, { path: string }> = { 'h2ogpt-web': { path: 'chart/policy' } };
    expect(metadata[violations[0].violatingResources[0].resourceName]).toBeUndefined();
  });

  test('real `cdk8s synth` exits 2 with the report when a manifest would deadlock', () => {
    // A minimal cdk8s project whose "app" emits the historic upstream chart.
    writeFileSync(join(work, 'app.js'), [
      "const fs = require('fs'); const out = process.env.CDK8S_OUTDIR;",
      `fs.mkdirSync(out, { recursive: true }); fs.copyFileSync(${JSON.stringify(fixture('upstream-chart.yaml'))}, out + '/legacy.k8s.yaml');`,
    ].join('\n'));
    writeFileSync(join(work, 'cdk8s.yaml'), [
      'language: typescript', 'app: node app.js', 'output: dist', 'validations:',
      `  - package: ${join(ROOT, 'lib', 'analyzer', 'validation-plugin.js')}`,
      '    class: StartupValidation', '    version: 0.1.0', '    properties:', '      mesh: linkerd', '',
    ].join('\n'));
    const result = spawnSync(join(ROOT, 'node_modules', '.bin', 'cdk8s'), ['synth', '--no-check-upgrade'], { cwd: work, encoding: 'utf8' });
    const output = result.stdout + result.stderr;
    expect(result.status).toBe(2);
    expect(output).toContain('init-container-deadlock');
    expect(output).toMatch(/h2ogpt-web: init container "vllm-check" deadlocks under Linkerd sidecar with linkerd-cni, mTLS strict/);
    expect(output).toContain('Validation failed');
  });
});
