import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { App, Chart } from 'cdk8s';
import { k8s } from 'cdk8s-plus-28';
import { H2oGptStack, H2oGptStackProps, SecretKeyReference } from '../src/internal';
import { forEachAllowed } from './support/matrix';

// Issue #9: no Secret value ever reaches a synthesized file, in any mode. The test's Secrets hold
// these values in the cluster; the props hold only references to them.
const SECRETS: Record<string, Record<string, string>> = {
  'hf-token': { token: 'hf_TESTVALUE_7c1d9e2f4a' },
  'vllm-api-key': { key: 'sk-vllm-TESTVALUE-51b0e8' },
  'h2ogpt-api-key': { key: 'sk-h2ogpt-TESTVALUE-93aa0c' },
  'h2ogpt-ui-key': { key: 'h2ogpt-ui-TESTVALUE-2f6d71' },
};
const ref = (secret: string) => SecretKeyReference.fromSecret(secret, Object.keys(SECRETS[secret])[0]);

const PROPS: Partial<H2oGptStackProps> = {
  namespace: 'ai',
  vllm: { model: 'meta-llama/Llama-3.1-8B-Instruct', huggingFaceToken: ref('hf-token'), apiKey: ref('vllm-api-key') },
  h2ogpt: { openAiApi: true, openAiApiKey: ref('h2ogpt-api-key'), secretEnv: { H2OGPT_H2OGPT_KEY: ref('h2ogpt-ui-key') } },
  trafficPolicy: { restrictEgress: true },
};

const scratch = mkdtempSync(join(tmpdir(), 'cdk8s-h2ogpt-secrets-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** Every file a real `app.synth()` writes for these props, as text. */
function synthesizedFiles(props: H2oGptStackProps, extra?: (chart: Chart) => void): Record<string, string> {
  const outdir = mkdtempSync(join(scratch, 'out-'));
  const app = new App({ outdir });
  const chart = new Chart(app, 'chat', { disableResourceNameHashes: true });
  new H2oGptStack(chart, 'stack', props);
  extra?.(chart);
  app.synth();
  const files: Record<string, string> = {};
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir)) {
      const path = join(dir, entry);
      if (statSync(path).isDirectory()) walk(path);
      else files[path] = readFileSync(path, 'utf8');
    }
  };
  walk(outdir);
  return files;
}

/** Each Secret value found in the files, with the file it is in. */
function leaks(files: Record<string, string>): string[] {
  const values = Object.values(SECRETS).flatMap((keys) => Object.values(keys));
  return Object.entries(files).flatMap(([file, text]) => values.filter((v) => text.includes(v)).map((v) => `${v} in ${file}`));
}

const outputs = forEachAllowed([['all secrets', PROPS]], (props) => synthesizedFiles(props));

test('every allowed mode x strategy was synthesized to files', () => {
  expect(outputs.length).toBeGreaterThan(50);
  for (const { result } of outputs) expect(Object.keys(result).some((f) => f.endsWith('.k8s.yaml'))).toBe(true);
});

test('no Secret value appears in any synthesized file, in any mode', () => {
  expect(outputs.flatMap(({ label, result }) => leaks(result).map((l) => `${label}: ${l}`))).toEqual([]);
});

test('every Secret is still wired in, by reference', () => {
  for (const { label, result } of outputs) {
    const text = Object.values(result).join('\n');
    for (const [name, keys] of Object.entries(SECRETS)) {
      expect(`${label}: ${text.includes(`name: ${name}`) && text.includes(`key: ${Object.keys(keys)[0]}`)}`).toBe(`${label}: true`);
    }
  }
});

test('the scan finds a value that does reach a file', () => {
  const [{ result: props }] = forEachAllowed([['all secrets', PROPS]], (p) => p);
  const files = synthesizedFiles(props, (chart) => new k8s.KubeSecret(chart, 'inline', {
    metadata: { name: 'vllm-api-key' }, stringData: SECRETS['vllm-api-key'],
  }));
  expect(leaks(files)).toEqual([expect.stringMatching(/^sk-vllm-TESTVALUE-51b0e8 in .*chat\.k8s\.yaml$/)]);
});
