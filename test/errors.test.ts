import { ErrorKind, Errors, H2oGptStack, MeshMode, RefusalCode, StartupAnalyzer, StartupStrategy, VllmServer } from '../src';
import { ConfigurationError, ManifestError, StartupRefusedError } from '../src/internal';
import { errorOf } from './helpers';

// Across jsii languages only the message survives, so every check runs twice: on the error
// object, and on its message alone, as Python's str(e) or Java's getMessage() would give it.
function inspectBoth(error: Error) {
  const fromObject = Errors.inspect(error);
  expect(Errors.inspect(error.message)).toEqual(fromObject);
  return fromObject;
}

describe('Errors.inspect', () => {
  test('a bad prop: field, value and fix', () => {
    const error = errorOf((scope) => new VllmServer(scope, 'vllm', { name: 'llm', model: 'm', gpus: -1 }));
    expect(error).toBeInstanceOf(ConfigurationError);
    expect(inspectBoth(error)).toEqual({
      kind: ErrorKind.CONFIGURATION, message: error.message, field: 'gpus', value: '-1', fix: 'Use a whole number from 1 to 64 (GPUs per pod).',
    });
    expect(Errors.isConfigurationError(error.message)).toBe(true);
  });

  test('a nested field, a string value holding ". ", and a field holding ": "', () => {
    const nested = errorOf((scope) => new H2oGptStack(scope, 'stack', { vllm: { model: 'm', image: 'vllm/vllm-openai:latest. x' } }));
    expect(inspectBoth(nested)).toMatchObject({ field: 'vllm.image', value: '"vllm/vllm-openai:latest. x"' });
    const odd = new ConfigurationError('settings["a: b"]', { x: 'y. z' }, 'Fix it.');
    expect(inspectBoth(odd)).toMatchObject({ field: 'settings["a: b"]', value: '{"x":"y. z"}', fix: 'Fix it.' });
  });

  test('an unset required value and a hidden credential', () => {
    expect(inspectBoth(new ConfigurationError('openAiApiKey', undefined, 'Give the key.'))).toMatchObject({ field: 'openAiApiKey', value: 'undefined', fix: 'Give the key.' });
    const hidden = errorOf((scope) => new H2oGptStack(scope, 'stack', { vllm: { model: 'm' }, h2ogpt: { settings: { H2OGPT_H2OGPT_KEY: 'hunter2' } } }));
    expect(inspectBoth(hidden)).toMatchObject({ field: 'h2ogpt.settings["H2OGPT_H2OGPT_KEY"]', value: '(value hidden)' });
    expect(hidden.message).not.toContain('hunter2');
  });

  test('a prefix before the message, as the CLI adds for a config file, is read past', () => {
    const error = new ConfigurationError('vllm.gpus', 0, 'Use at least 1.');
    expect(Errors.inspect(`stack.yaml: ${error.message}`)).toMatchObject({ kind: ErrorKind.CONFIGURATION, field: 'vllm.gpus', value: '0' });
  });

  test('a refused strategy: its code, the strategy and the safe alternatives', () => {
    const error = errorOf((scope) => new H2oGptStack(scope, 'stack', {
      mesh: MeshMode.istioSidecar(), startupStrategy: StartupStrategy.INIT_CONTAINER, vllm: { model: 'm' },
    }));
    expect(error).toBeInstanceOf(StartupRefusedError);
    const details = inspectBoth(error)!;
    expect(details).toMatchObject({ kind: ErrorKind.STARTUP_REFUSED, refusal: RefusalCode.DEADLOCK, strategy: 'init-container' });
    expect(details.fix).toMatch(/^Istio sidecar with istio-cni, mTLS strict: it deadlocks: .*Safe alternatives .*in-app-wait/);
    expect(Errors.isStartupRefused(error)).toBe(true);
    expect(Errors.isConfigurationError(error)).toBe(false);
  });

  test('unreadable manifests: source, line and column', () => {
    let error: Error | undefined;
    try {
      StartupAnalyzer.readManifests('kind: Pod\nmetadata: {name: a\n', 'pods.yaml');
    } catch (e) {
      error = e as Error;
    }
    expect(error).toBeInstanceOf(ManifestError);
    expect(inspectBoth(error!)).toMatchObject({ kind: ErrorKind.MANIFEST, source: 'pods.yaml', line: 3, column: 1 });
    expect(inspectBoth(new ManifestError('<stdin>', 'expected Kubernetes objects, found "x"'))).toEqual({
      kind: ErrorKind.MANIFEST, message: '<stdin>: expected Kubernetes objects, found "x"', source: '<stdin>', fix: 'expected Kubernetes objects, found "x"',
    });
  });

  test('anything else is not ours', () => {
    for (const other of [new Error('boom'), 'Invalid syntax', 'Invalid x: not json. y', 42, undefined, null, {}]) {
      expect(Errors.inspect(other)).toBeUndefined();
    }
    expect(Errors.isConfigurationError(new Error('boom'))).toBe(false);
  });
});
