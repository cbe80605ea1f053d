import { spawnSync } from 'child_process';
import { mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync, lstatSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { SecretKeyReference, UiAuthentication, VllmEndpoint } from '../src/internal';
import { resolveWaiterSettings, WAITER_VARIABLES, waiterEnv } from '../src/startup/waiter';
import {
  H2OGPT_COMMAND, h2oGptEnv, H2oGptEnvInput, inAppWait, inferenceServerValues, modelLockValue, workspaceInitCommand,
} from '../src/workloads/h2ogpt-environment';
import { vllmArgs, vllmEnv } from '../src/workloads/vllm-command';

// Issue #25: the workloads' command lines and environments are pure functions of checked props,
// tested here directly; the constructs' own tests cover how they reach the pod.

const first = VllmEndpoint.fromUrl('http://chat-vllm.ai.svc:8000', { servedModelName: 'qwen' });
const keyed = VllmEndpoint.fromUrl('http://coder.ai.svc:8001', { servedModelName: 'coder $(HOME)', apiKey: SecretKeyReference.fromSecret('coder-key', 'key') });
const third = VllmEndpoint.fromUrl('http://third.ai.svc:8002', { servedModelName: 'third', startupBudgetSeconds: 100 });

const BASE: H2oGptEnvInput = { endpoints: [first], chatApi: true, usageStats: false, waits: true, settings: {}, secretEnv: {} };
const values = (env: Array<{ name: string; value?: string }>) => Object.fromEntries(env.map((e) => [e.name, e.value]));
const names = (env: Array<{ name: string }>) => env.map((e) => e.name);

describe('h2oGPT\'s servers', () => {
  test('one value per server; a keyed server gets the URL form with its own key variable', () => {
    expect(inferenceServerValues([first, keyed], true)).toEqual([
      'vllm_chat:chat-vllm.ai.svc:8000',
      'vllm_chat:http://coder.ai.svc:8001:/v1:$(VLLM_API_KEY_2)',
    ]);
    expect(inferenceServerValues([keyed], false)).toEqual(['vllm:http://coder.ai.svc:8001:/v1:$(VLLM_API_KEY)']);
  });

  test('model_lock only with several servers, a literal Python reads, with served names kept from $(VAR) expansion', () => {
    expect(modelLockValue([first], ['x'])).toBeUndefined();
    const lock = modelLockValue([first, keyed], inferenceServerValues([first, keyed], true))!;
    const parsed = JSON.parse(lock);
    expect(parsed).toEqual([
      { inference_server: 'vllm_chat:chat-vllm.ai.svc:8000', base_model: 'qwen' },
      { inference_server: 'vllm_chat:http://coder.ai.svc:8001:/v1:$(VLLM_API_KEY_2)', base_model: 'coder $$(HOME)' },
    ]);
  });

  test('one server: inference server and base model; several: model_lock alone, and each key from its Secret first', () => {
    expect(values(h2oGptEnv(BASE))).toMatchObject({ H2OGPT_INFERENCE_SERVER: 'vllm_chat:chat-vllm.ai.svc:8000', H2OGPT_BASE_MODEL: 'qwen' });
    const env = h2oGptEnv({ ...BASE, endpoints: [first, keyed] });
    expect(names(env)[0]).toBe('VLLM_API_KEY_2');
    expect(env[0]).toEqual({ name: 'VLLM_API_KEY_2', valueFrom: { secretKeyRef: { name: 'coder-key', key: 'key' } } });
    expect(names(env)).toContain('H2OGPT_MODEL_LOCK');
    expect(names(env)).not.toContain('H2OGPT_INFERENCE_SERVER');
    expect(names(env)).not.toContain('H2OGPT_BASE_MODEL');
  });
});

describe('h2oGPT\'s environment', () => {
  test('the OpenAI API is off unless asked for, and keyed from its Secret when on', () => {
    expect(values(h2oGptEnv(BASE)).H2OGPT_OPENAI_SERVER).toBe('False');
    const on = h2oGptEnv({ ...BASE, openAiApi: { port: 5001, key: SecretKeyReference.fromSecret('api', 'k') } });
    expect(values(on)).toMatchObject({ H2OGPT_OPENAI_SERVER: 'True', H2OGPT_OPENAI_PORT: '5001' });
    expect(on.find((e) => e.name === 'H2OGPT_OPENAI_API_KEY')?.valueFrom).toEqual({ secretKeyRef: { name: 'api', key: 'k' } });
  });

  test('telemetry is off unless usage stats are on', () => {
    expect(values(h2oGptEnv(BASE))).toMatchObject({ H2OGPT_ENABLE_HEAP_ANALYTICS: 'False', GRADIO_ANALYTICS_ENABLED: 'False', DO_NOT_TRACK: '1' });
    expect(names(h2oGptEnv({ ...BASE, usageStats: true }))).not.toContain('DO_NOT_TRACK');
  });

  test('without a wait h2oGPT is told to fail on an unreachable model; a setting of the same name in any case wins over a default', () => {
    expect(values(h2oGptEnv({ ...BASE, waits: false })).H2OGPT_FAIL_IF_INVALID_CLIENT).toBe('True');
    expect(names(h2oGptEnv(BASE))).not.toContain('H2OGPT_FAIL_IF_INVALID_CLIENT');
    const env = h2oGptEnv({ ...BASE, waits: false, settings: { h2ogpt_fail_if_invalid_client: 'False', H2OGPT_AUTH_FILENAME: '/workspace/users/x.json' } });
    expect(names(env).filter((n) => n.toUpperCase() === 'H2OGPT_FAIL_IF_INVALID_CLIENT')).toEqual(['h2ogpt_fail_if_invalid_client']);
    expect(env.filter((e) => e.name === 'H2OGPT_AUTH_FILENAME')).toEqual([{ name: 'H2OGPT_AUTH_FILENAME', value: '/workspace/users/x.json' }]);
  });

  test('a login points h2oGPT at the writable copy of the users file, closed, frozen, with no guest', () => {
    const env = h2oGptEnv({ ...BASE, authentication: UiAuthentication.fromSecret('users') });
    expect(values(env)).toMatchObject({
      H2OGPT_AUTH: '/workspace/users/auth.json', H2OGPT_AUTH_FILENAME: '/workspace/users/auth.json',
      H2OGPT_AUTH_ACCESS: 'closed', H2OGPT_AUTH_FREEZE: 'True', H2OGPT_GUEST_NAME: '',
    });
    expect(names(env).filter((n) => n === 'H2OGPT_AUTH_FILENAME')).toHaveLength(1);
  });

  test('user settings are literals for Kubernetes, and Secret variables come last', () => {
    const env = h2oGptEnv({ ...BASE, settings: { H2OGPT_PROMPT_TYPE: 'plain $(X)' }, secretEnv: { HF_TOKEN: SecretKeyReference.fromSecret('hf', 'token') } });
    expect(values(env).H2OGPT_PROMPT_TYPE).toBe('plain $$(X)');
    expect(names(env)[env.length - 1]).toBe('HF_TOKEN');
  });
});

describe('the wait in h2oGPT\'s container', () => {
  test('one server: the waiter execs generate.py; three: a chain, each link with its own URL and deadline', () => {
    const settings = [first, keyed, third].map((e) => resolveWaiterSettings('waiter', {}, e.startupBudgetSeconds));
    const one = inAppWait([first], settings);
    expect(one.command).toEqual(['/bin/bash', '/opt/cdk8s-h2ogpt/wait-for-upstream.sh', ...H2OGPT_COMMAND]);
    expect(values(one.env).WAIT_URL).toBe('http://chat-vllm.ai.svc:8000/health');
    const chain = inAppWait([first, keyed, third], settings).command;
    expect(chain).toEqual([
      '/bin/bash', '/opt/cdk8s-h2ogpt/wait-for-upstream.sh',
      'env', 'WAIT_URL=http://coder.ai.svc:8001/health', `WAIT_DEADLINE_SECONDS=${settings[1].deadlineSeconds}`, '/bin/bash', '/opt/cdk8s-h2ogpt/wait-for-upstream.sh',
      'env', 'WAIT_URL=http://third.ai.svc:8002/health', 'WAIT_DEADLINE_SECONDS=400', '/bin/bash', '/opt/cdk8s-h2ogpt/wait-for-upstream.sh',
      'python3', '/workspace/generate.py',
    ]);
  });
});

test('the waiter\'s variables that env refuses are exactly the ones waiterEnv writes, in its order', () => {
  const written = waiterEnv('http://x:1/health', resolveWaiterSettings('waiter', {}, 100)).map((e) => e.name);
  expect(Object.keys(WAITER_VARIABLES)).toEqual(written);
});

// The h2oGPT image's sh is Ubuntu's dash, as Debian's is here.
describe('the workspace\'s preparation, run by a real sh', () => {
  let root: string;
  beforeEach(() => { root = mkdtempSync(join(tmpdir(), 'k8h-workspace-')); });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  /** Runs the command's script with its paths moved under `root`. */
  function run(auth: boolean): { status: number | null; stderr: string } {
    const command = workspaceInitCommand(auth ? { from: '/auth/auth.json', to: '/workspace/users/auth.json' } : undefined);
    expect(command.slice(0, 2)).toEqual(['sh', '-c']);
    expect(command.slice(3, 6)).toEqual(['prepare-workspace', '/workspace', '/run/h2ogpt']);
    const args = command.slice(4).map((p) => join(root, p));
    const result = spawnSync('sh', ['-c', command[2], command[3], ...args], { encoding: 'utf8' });
    return { status: result.status, stderr: result.stderr };
  }

  test('links every entry of /workspace, dot files included, keeps what is there, and copies the users file afresh', () => {
    const ws = join(root, 'workspace');
    const wd = join(root, 'run/h2ogpt');
    for (const dir of [ws, wd, join(root, 'auth'), join(ws, 'users'), join(ws, 'src')]) mkdirSync(dir, { recursive: true });
    writeFileSync(join(ws, 'generate.py'), '');
    writeFileSync(join(ws, '.env'), '');
    writeFileSync(join(ws, '..odd'), '');
    symlinkSync('/nowhere', join(ws, 'dangling'));
    writeFileSync(join(wd, 'generate.py'), 'kept');
    writeFileSync(join(root, 'auth/auth.json'), '{"alice": {}}');
    writeFileSync(join(ws, 'users/auth.json'), 'stale');

    expect(run(true)).toEqual({ status: 0, stderr: '' });
    expect(readFileSync(join(wd, 'generate.py'), 'utf8')).toBe('kept');
    for (const name of ['.env', '..odd', 'src', 'users', 'dangling']) expect(readlinkSync(join(wd, name))).toBe(join(ws, name));
    expect(lstatSync(join(wd, 'generate.py')).isSymbolicLink()).toBe(false);
    expect(readFileSync(join(ws, 'users/auth.json'), 'utf8')).toBe('{"alice": {}}');
    // A restart finds its links and runs again without error.
    expect(run(false).status).toBe(0);
  });
});

describe('vLLM\'s command line and environment', () => {
  const ARGS = { model: 'Qwen/Qwen2.5-1.5B-Instruct', servedModelName: 'qwen', port: 8000, tensorParallelSize: 2, gpuMemoryUtilization: 0.9, extraArgs: [] };

  test('the arguments in order, the cache as download folder, optional ones only when set, extra ones last as literals', () => {
    expect(vllmArgs(ARGS)).toEqual([
      '--model', 'Qwen/Qwen2.5-1.5B-Instruct', '--served-model-name', 'qwen', '--port', '8000',
      '--tensor-parallel-size', '2', '--gpu-memory-utilization', '0.9', '--download-dir', '/models',
    ]);
    expect(vllmArgs({ ...ARGS, maxModelLen: 4096, extraArgs: ['--enforce-eager', '--x=$(Y)'] }).slice(-4)).toEqual(['--max-model-len', '4096', '--enforce-eager', '--x=$$(Y)']);
  });

  test('caches off the read-only root, telemetry off unless asked for, offline and Secrets only when set', () => {
    const env = vllmEnv({ usageStats: false, offline: false });
    expect(values(env)).toMatchObject({ HF_HOME: '/models/huggingface', HOME: '/home/vllm', USER: 'vllm', VLLM_NO_USAGE_STATS: '1' });
    expect(names(env)).not.toContain('HF_HUB_OFFLINE');
    const full = vllmEnv({ usageStats: true, offline: true, huggingFaceToken: SecretKeyReference.fromSecret('hf', 't'), apiKey: SecretKeyReference.fromSecret('k', 'v') });
    expect(names(full)).not.toContain('VLLM_NO_USAGE_STATS');
    expect(names(full).slice(-3)).toEqual(['HF_HUB_OFFLINE', 'HF_TOKEN', 'VLLM_API_KEY']);
  });
});
