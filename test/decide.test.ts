import { readFileSync } from 'fs';
import { join } from 'path';
import {
  autoStrategy, decideStartup, MeshMode, MtlsMode, RefusalCode, StartupRefusedError, StartupStrategy,
} from '../src/internal';
import { parseKubernetesMinor } from '../src/startup/decide';
import { renderDecisionTable } from '../src/startup/decision-table';
import { restartBackoffAddedDelay, restartBackoffStarts, restartBackoffWorstCaseDelay } from '../src/startup/restart-backoff';

const context = { upstreamPort: 8000, kubernetesMinor: 30, upstreamStartupBudgetSeconds: 1800 };

describe('decideStartup', () => {
  test('auto picks init-container where init containers are meshed or there is no mesh', () => {
    for (const mode of [MeshMode.none(), MeshMode.istioNativeSidecar(), MeshMode.istioAmbient(), MeshMode.linkerdNativeSidecar()]) {
      expect(autoStrategy(mode)).toBe(StartupStrategy.INIT_CONTAINER);
    }
  });

  test('auto picks in-app-wait under every classic sidecar, with or without CNI', () => {
    for (const cni of [true, false]) {
      expect(autoStrategy(MeshMode.istioSidecar({ cni }))).toBe(StartupStrategy.IN_APP_WAIT);
      expect(autoStrategy(MeshMode.linkerdSidecar({ cni }))).toBe(StartupStrategy.IN_APP_WAIT);
    }
  });

  test('a refusal carries its code, says why in words and names the safe alternatives', () => {
    let error: unknown;
    try {
      decideStartup(MeshMode.linkerdSidecar(), StartupStrategy.INIT_CONTAINER, context);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(StartupRefusedError);
    expect((error as StartupRefusedError).refusal).toBe(RefusalCode.DEADLOCK);
    expect((error as Error).message).toBe(
      'Startup strategy "init-container" is refused (deadlock) under Linkerd sidecar with linkerd-cni, mTLS strict: it deadlocks: '
      + 'linkerd-cni redirects it to linkerd-proxy\'s port 4140, where nothing listens until linkerd-proxy starts after every init container has finished, so each connection is refused at once, and its retry loop never ends. '
      + 'Safe alternatives under Linkerd sidecar with linkerd-cni, mTLS strict: in-app-wait, none (auto picks in-app-wait).');
  });

  test('explicit choices keep their own reason; auto says it chose', () => {
    expect(decideStartup(MeshMode.none(), StartupStrategy.AUTO, context).reason).toMatch(/^auto: no mesh/);
    expect(decideStartup(MeshMode.none(), StartupStrategy.IN_APP_WAIT, context).reason).toMatch(/^h2oGPT waits for vLLM in its own container/);
  });

  test('permissive escape hatches are allowed with a warning about their cost', () => {
    const mode = MeshMode.istioSidecar({ mtls: MtlsMode.PERMISSIVE });
    expect(decideStartup(mode, StartupStrategy.PROXY_UID_BYPASS, context).warnings[0]).toMatch(/UID 1337/);
    expect(decideStartup(mode, StartupStrategy.PORT_EXCLUSION, context).warnings[0]).toMatch(/plaintext for the pod's whole life/);
  });

  test('an unknown strategy is a configuration error naming the field', () => {
    expect(() => decideStartup(MeshMode.none(), 'sometimes' as StartupStrategy, context)).toThrow(/Invalid startupStrategy: "sometimes"\. Use one of: auto, init-container/);
  });

  test('Kubernetes versions parse, with or without a patch and a v', () => {
    expect(parseKubernetesMinor('1.29')).toBe(29);
    expect(parseKubernetesMinor('v1.33.2')).toBe(33);
    expect(() => parseKubernetesMinor('2.0')).toThrow(/Invalid kubernetesVersion: "2\.0"/);
  });
});

describe('decision table', () => {
  test('the README shows exactly the table the code renders', () => {
    const readme = readFileSync(join(__dirname, '..', 'README.md'), 'utf8');
    const start = readme.indexOf('<!-- decision-table:start');
    const end = readme.indexOf('<!-- decision-table:end -->');
    expect(start).toBeGreaterThan(0);
    const inReadme = readme.slice(readme.indexOf('\n', start) + 1, end).trim();
    expect(inReadme).toBe(renderDecisionTable().trim()); // run `npm run docs` after changing the rules
  });

  test('one row per mode variant, refusals named', () => {
    const table = renderDecisionTable();
    expect(table.split('\n').filter((l) => l.startsWith('| ') && !l.startsWith('| mode')).length).toBe(15);
    expect(table).toContain('| istio-sidecar | on | strict | refused (deadlock) | **auto** |');
    expect(table).toContain('| istio-ambient | - | strict | **auto** | allowed |');
  });
});

describe('kubelet restart back-off model (docs/mesh-facts.md §6)', () => {
  test('restarts at 0, 10, 30, 70, 150, 310, 610 s', () => {
    expect(restartBackoffStarts(700)).toEqual([0, 10, 30, 70, 150, 310, 610]);
  });

  test('an 8-minute load starts h2oGPT at 610 s, 130 s late; the cap bounds the worst case at 300 s', () => {
    expect(restartBackoffAddedDelay(480)).toBe(130);
    expect(restartBackoffAddedDelay(0)).toBe(0);
    expect(restartBackoffWorstCaseDelay(1800)).toBe(300);
    expect(restartBackoffWorstCaseDelay(60)).toBe(40);
  });
});
