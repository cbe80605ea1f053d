import { spawnSync } from 'child_process';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { Chart } from 'cdk8s';
import { H2oGpt, H2oGptProps, SecretKeyReference, StartupWait, VllmServer } from '../src/internal';
import { container, envOf, errorOf, find, podSpec, synth, waitInitContainers } from './helpers';

function build(props: Partial<H2oGptProps> = {}, vllmProps: { apiKey?: SecretKeyReference } = {}) {
  let front!: H2oGpt;
  const objects = synth((chart: Chart) => {
    const vllm = new VllmServer(chart, 'vllm', { name: 'llm', model: 'Qwen/Qwen2.5-1.5B-Instruct', servedModelName: 'qwen', ...vllmProps });
    front = new H2oGpt(chart, 'h2ogpt', { name: 'chat', vllm, ...props });
  });
  const deployment = find(objects, 'Deployment', 'chat');
  return { objects, front, deployment, app: container(deployment, 'h2ogpt') };
}

function buildError(props: Partial<H2oGptProps>): string {
  return errorOf((scope) => {
    const vllm = new VllmServer(scope, 'vllm', { name: 'llm', model: 'm' });
    return new H2oGpt(scope, 'h2ogpt', { name: 'chat', vllm, ...props });
  }).message;
}

describe('H2oGpt', () => {
  test('renders a Deployment, a Service and the waiter ConfigMap', () => {
    const { objects } = build();
    expect(objects.filter((o) => o.metadata.name.startsWith('chat')).map((o) => `${o.kind}/${o.metadata.name}`))
      .toEqual(['ServiceAccount/chat', 'ConfigMap/chat-startup-waiter', 'Deployment/chat', 'Service/chat']);
    expect(objects).toMatchSnapshot();
  });

  test('wires h2oGPT to the vLLM Service through h2ogpt_inference_server', () => {
    const env = envOf(build().app);
    expect(env.H2OGPT_INFERENCE_SERVER).toBe('vllm_chat:llm:8000');
    expect(env.H2OGPT_BASE_MODEL).toBe('qwen');
    expect(envOf(build({ chatApi: false }).app).H2OGPT_INFERENCE_SERVER).toBe('vllm:llm:8000');
  });

  test('with an API key, the key comes from the Secret by $(VAR) expansion of an earlier env var', () => {
    const { app, front } = build({}, { apiKey: SecretKeyReference.fromSecret('vllm-auth', 'key') });
    const names = app.env.map((e: any) => e.name);
    expect(names.indexOf('VLLM_API_KEY')).toBeLessThan(names.indexOf('H2OGPT_INFERENCE_SERVER'));
    const env = envOf(app);
    expect(env.VLLM_API_KEY).toEqual({ secretKeyRef: { name: 'vllm-auth', key: 'key' } });
    expect(env.H2OGPT_INFERENCE_SERVER).toBe('vllm_chat:http://llm:8000:/v1:$(VLLM_API_KEY)');
    expect(front.inferenceServer).toBe(env.H2OGPT_INFERENCE_SERVER);
  });

  test('passes H2OGPT_* settings through and refuses the ones it manages', () => {
    const env = envOf(build({ settings: { H2OGPT_MAX_SEQ_LEN: '4096', h2ogpt_visible_models: "['qwen']" } }).app);
    expect(env.H2OGPT_MAX_SEQ_LEN).toBe('4096');
    expect(env.h2ogpt_visible_models).toBe("['qwen']");
    expect(buildError({ settings: { MAX_SEQ_LEN: '1' } })).toMatch(/Invalid settings\["MAX_SEQ_LEN"\]: "MAX_SEQ_LEN"\. Keys are h2oGPT settings .*"H2OGPT_"/);
    expect(buildError({ settings: { H2OGPT_INFERENCE_SERVER: 'x' } })).toMatch(/sets H2OGPT_INFERENCE_SERVER from the vllm prop/);
  });

  test('UI port 7860 and an optional OpenAI-compatible API port 5000', () => {
    const plain = build();
    expect(plain.app.ports).toEqual([{ name: 'ui', containerPort: 7860, protocol: 'TCP' }]);
    const withApi = build({ openAiApi: true, openAiApiKey: SecretKeyReference.fromSecret('h2ogpt-api', 'key'), uiPort: 80 });
    expect(withApi.app.ports).toEqual([
      { name: 'ui', containerPort: 7860, protocol: 'TCP' }, { name: 'openai', containerPort: 5000, protocol: 'TCP' },
    ]);
    expect(envOf(withApi.app)).toMatchObject({ H2OGPT_OPENAI_SERVER: 'True', H2OGPT_OPENAI_PORT: '5000' });
    expect(find(withApi.objects, 'Service', 'chat').spec.ports.map((p: any) => [p.name, p.port, p.targetPort]))
      .toEqual([['ui', 80, 'ui'], ['openai', 5000, 'openai']]);
  });

  test('probes the UI port for readiness and startup', () => {
    const { app } = build();
    expect(app.readinessProbe.httpGet).toEqual({ path: '/', port: 'ui' });
    expect(app.startupProbe.httpGet).toEqual({ path: '/', port: 'ui' });
    expect(app.startupProbe.failureThreshold * app.startupProbe.periodSeconds).toBe(600);
  });

  test('more than one replica pins clients with sessionAffinity: ClientIP', () => {
    expect(find(build().objects, 'Service', 'chat').spec.sessionAffinity).toBeUndefined();
    const { objects, deployment } = build({ replicas: 3 });
    expect(deployment.spec.replicas).toBe(3);
    expect(find(objects, 'Service', 'chat').spec.sessionAffinity).toBe('ClientIP');
  });

  test('save directory is an emptyDir by default or an existing claim', () => {
    expect(podSpec(build().deployment).volumes).toContainEqual({ name: 'save', emptyDir: { sizeLimit: '10Gi' } });
    expect(podSpec(build({ saveDirClaimName: 'chat-save' }).deployment).volumes)
      .toContainEqual({ name: 'save', persistentVolumeClaim: { claimName: 'chat-save' } });
  });

  test('init-container wait: a pinned busybox polls vLLM /health with a deadline, non-root', () => {
    const { deployment, app } = build();
    const [init] = podSpec(deployment).initContainers;
    expect(init.name).toBe('wait-for-vllm');
    expect(init.image).toBe('busybox:1.36.1');
    expect(init.command).toEqual(['sh', '/opt/cdk8s-h2ogpt/wait-for-upstream.sh']);
    expect(envOf(init)).toEqual({
      WAIT_URL: 'http://llm:8000/health', WAIT_DEADLINE_SECONDS: '2100', WAIT_INITIAL_DELAY_SECONDS: '2',
      WAIT_MAX_DELAY_SECONDS: '3', WAIT_ATTEMPT_TIMEOUT_SECONDS: '5',
    });
    expect(init.securityContext).toMatchObject({ runAsUser: 65534, runAsNonRoot: true, readOnlyRootFilesystem: true });
    expect(app.command).toEqual(['python3', '/workspace/generate.py']);
    expect(deployment.spec.template.metadata.annotations['cdk8s-h2ogpt.io/network-init-containers']).toBe('wait-for-vllm');
  });

  test('in-app wait: h2oGPT runs the waiter, which execs generate.py; the startup probe covers the wait', () => {
    const { deployment, app } = build({ startupWait: StartupWait.inApp(), waiter: { deadlineSeconds: 900 } });
    expect(waitInitContainers(podSpec(deployment))).toEqual([]);
    expect(app.command).toEqual(['/bin/bash', '/opt/cdk8s-h2ogpt/wait-for-upstream.sh', 'python3', '/workspace/generate.py']);
    expect(envOf(app).WAIT_DEADLINE_SECONDS).toBe('900');
    expect(app.volumeMounts).toContainEqual({ name: 'startup-waiter', mountPath: '/opt/cdk8s-h2ogpt', readOnly: true });
    expect(app.startupProbe.failureThreshold * app.startupProbe.periodSeconds).toBe(900 + 600);
  });

  test('no wait: no init container, no ConfigMap; newer h2oGPT is told to fail rather than drop an unreachable model', () => {
    const { objects, deployment, app } = build({ startupWait: StartupWait.none() });
    expect(envOf(app).H2OGPT_FAIL_IF_INVALID_CLIENT).toBe('True');
    expect(envOf(build().app).H2OGPT_FAIL_IF_INVALID_CLIENT).toBeUndefined();
    expect(podSpec(deployment).initContainers.map((c: any) => c.name)).toEqual(['prepare-workspace']);
    expect(objects.some((o) => o.kind === 'ConfigMap')).toBe(false);
    expect(app.env.some((e: any) => e.name.startsWith('WAIT_'))).toBe(false);
  });

  describe('least privilege', () => {
    test('its own ServiceAccount without a token, the image\'s UID/GID 1000, default seccomp', () => {
      const { objects, deployment } = build();
      expect(find(objects, 'ServiceAccount', 'chat').automountServiceAccountToken).toBe(false);
      const spec = podSpec(deployment);
      expect(spec.serviceAccountName).toBe('chat');
      expect(spec.automountServiceAccountToken).toBe(false);
      expect(spec.securityContext).toEqual({
        runAsNonRoot: true, runAsUser: 1000, runAsGroup: 1000, fsGroup: 1000, fsGroupChangePolicy: 'OnRootMismatch',
        seccompProfile: { type: 'RuntimeDefault' },
      });
    });

    test('read-only root; every path h2oGPT writes is mounted, the code under /workspace is not hidden', () => {
      const { deployment, app } = build();
      expect(app.securityContext).toEqual({ runAsNonRoot: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] }, readOnlyRootFilesystem: true });
      const mounts = app.volumeMounts.map((m: any) => m.mountPath);
      expect(mounts).toEqual(expect.arrayContaining([
        '/workspace/save', '/tmp', '/workspace/.config', '/workspace/users', '/workspace/db_nonusers',
        '/workspace/db_dir_UserData', '/workspace/llamacpp_path',
        // Document and client locks and chat exports (docs/app-facts.md §5, issue #23).
        '/workspace/locks', '/workspace/chats',
        // The working directory (flagged_data_points/, the zip export) and the library caches.
        '/run/h2ogpt', '/var/cache/h2ogpt',
      ]));
      expect(mounts).not.toContain('/workspace');
      // ~/.cache is the image's: Playwright's browsers live there (docs/app-facts.md §5).
      expect(mounts).not.toContain('/workspace/.cache');
      expect(app.workingDir).toBe('/run/h2ogpt');
      for (const path of ['/workspace/locks', '/workspace/chats', '/run/h2ogpt', '/var/cache/h2ogpt']) {
        const mount = app.volumeMounts.find((m: any) => m.mountPath === path);
        expect(mount.readOnly).toBeUndefined();
        expect(podSpec(deployment).volumes.find((v: any) => v.name === mount.name).emptyDir).toBeDefined();
      }
      const env = envOf(app);
      expect(env.GRADIO_TEMP_DIR).toBe('/tmp/gradio');
      expect(env.MPLCONFIGDIR).toMatch(/^\/workspace\/\.config\//);
      expect(env.XDG_CACHE_HOME).toBe('/var/cache/h2ogpt');
      expect(env.PLAYWRIGHT_BROWSERS_PATH).toBe('/workspace/.cache/ms-playwright');
      expect(env.H2OGPT_AUTH_FILENAME).toBe('/workspace/users/auth.json');
      // A user's own value, in either case, replaces the default rather than joining it.
      const own = envOf(build({ settings: { h2ogpt_auth_filename: '/workspace/save/auth.json' } }).app);
      expect(own.H2OGPT_AUTH_FILENAME).toBeUndefined();
      expect(own.h2ogpt_auth_filename).toBe('/workspace/save/auth.json');
      const volumeNames = podSpec(deployment).volumes.map((v: any) => v.name);
      for (const m of app.volumeMounts) expect(volumeNames).toContain(m.name);
    });

    test('the workspace is prepared last, by a container that mounts what h2oGPT mounts and uses no network', () => {
      const { deployment, app } = build();
      const spec = podSpec(deployment);
      expect(spec.initContainers.map((c: any) => c.name)).toEqual(['wait-for-vllm', 'prepare-workspace']);
      const prepare = spec.initContainers[1];
      expect(prepare.image).toBe(app.image);
      expect(prepare.securityContext).toEqual(app.securityContext);
      expect(prepare.volumeMounts).toEqual(app.volumeMounts.filter((m: any) => m.mountPath !== '/tmp'));
      expect(prepare.command.slice(3)).toEqual(['prepare-workspace', '/workspace', '/run/h2ogpt']);
      expect(deployment.spec.template.metadata.annotations['cdk8s-h2ogpt.io/network-init-containers']).toBe('wait-for-vllm');
    });

    test('the working directory, prepared for real: relative reads reach the image, relative writes land on the volume, a restart keeps them', () => {
      const prepare = podSpec(build().deployment).initContainers.find((c: any) => c.name === 'prepare-workspace');
      const scratch = mkdtempSync(join(tmpdir(), 'cdk8s-h2ogpt-workdir-'));
      try {
        // The image's /workspace as h2oGPT's Dockerfile leaves it, plus the mount points.
        const workspace = join(scratch, 'workspace');
        const workingDir = join(scratch, 'run/h2ogpt');
        for (const dir of ['src', '.cache/ms-playwright', 'save', 'users', 'locks', 'a dir with * in it', 'run/h2ogpt']) {
          mkdirSync(join(dir === 'run/h2ogpt' ? scratch : workspace, dir), { recursive: true });
        }
        writeFileSync(join(workspace, 'h2o-logo.svg'), '<svg/>');
        writeFileSync(join(workspace, 'generate.py'), '');
        writeFileSync(join(workspace, '..hidden'), '');
        const [shell, flag, script, name] = prepare.command;
        const run = () => spawnSync(shell, [flag, script, name, workspace, workingDir], { encoding: 'utf8' });
        let result = run();
        expect(result.stderr).toBe('');
        expect(result.status).toBe(0);
        for (const entry of ['src', '.cache', 'save', 'users', 'locks', 'a dir with * in it', 'h2o-logo.svg', 'generate.py', '..hidden']) {
          expect(readlinkSync(join(workingDir, entry))).toBe(join(workspace, entry));
        }
        // gradio_runner reads h2o-logo.svg relative to the working directory.
        expect(readFileSync(join(workingDir, 'h2o-logo.svg'), 'utf8')).toBe('<svg/>');
        // gen.py makes offline_folder/ and Gradio's CSVLogger flagged_data_points/ at start; the zip
        // button writes data_*.zip (docs/app-facts.md §5).
        mkdirSync(join(workingDir, 'offline_folder'));
        mkdirSync(join(workingDir, 'flagged_data_points'));
        writeFileSync(join(workingDir, 'data_2026-12-06_emptyhost.zip'), 'zip');
        // A relative write into a mounted folder goes through the link to the mount.
        writeFileSync(join(workingDir, 'locks/db_x.lock'), '');
        expect(existsSync(join(workspace, 'locks/db_x.lock'))).toBe(true);
        // A restart of the pod's init containers keeps h2oGPT's own files and links nothing twice.
        writeFileSync(join(workspace, 'flagged_data_points'), 'an image entry of the same name');
        result = run();
        expect(result.status).toBe(0);
        expect(lstatSync(join(workingDir, 'flagged_data_points')).isDirectory()).toBe(true);
        expect(readFileSync(join(workingDir, 'data_2026-12-06_emptyhost.zip'), 'utf8')).toBe('zip');
        expect(readlinkSync(join(workingDir, 'src'))).toBe(join(workspace, 'src'));
      } finally {
        rmSync(scratch, { recursive: true, force: true });
      }
    });

    test('the waiter init container is non-root, read-only, without capabilities', () => {
      const [init] = podSpec(build().deployment).initContainers;
      expect(init.securityContext).toEqual({
        runAsUser: 65534, runAsNonRoot: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] }, readOnlyRootFilesystem: true,
      });
      expect(init.volumeMounts).toContainEqual({ name: 'waiter-tmp', mountPath: '/tmp' });
    });

    test('the OpenAI-compatible server is off unless asked for, and keyed from a Secret when on', () => {
      expect(envOf(build().app).H2OGPT_OPENAI_SERVER).toBe('False');
      const env = envOf(build({ openAiApi: true, openAiApiKey: SecretKeyReference.fromSecret('h2ogpt-api', 'key') }).app);
      expect(env.H2OGPT_OPENAI_SERVER).toBe('True');
      expect(env.H2OGPT_OPENAI_API_KEY).toEqual({ secretKeyRef: { name: 'h2ogpt-api', key: 'key' } });
      expect(buildError({ openAiApi: true })).toMatch(/Invalid openAiApiKey: undefined\. h2oGPT's OpenAI-compatible API answers anyone without a key.*openAiApiKey: SecretKeyReference\.fromSecret/);
    });

    test('credentials go through secretEnv; a credential-like setting is refused without echoing it', () => {
      const env = envOf(build({ secretEnv: { H2OGPT_H2OGPT_KEY: SecretKeyReference.fromSecret('ui-key', 'key') } }).app);
      expect(env.H2OGPT_H2OGPT_KEY).toEqual({ secretKeyRef: { name: 'ui-key', key: 'key' } });
      // H2OGPT_AUTH (inline users and passwords) is the authentication prop's now: refused, still unechoed.
      const auth = buildError({ settings: { H2OGPT_AUTH: "[('alice','hunter2-secret')]" } });
      expect(auth).toMatch(/^Invalid settings\["H2OGPT_AUTH"\]: \(value hidden\)\. The construct sets H2OGPT_AUTH from authentication; set that instead\./);
      expect(auth).not.toContain('hunter2-secret');
      for (const key of ['H2OGPT_H2OGPT_KEY', 'H2OGPT_H2OGPT_API_KEYS', 'H2OGPT_USE_AUTH_TOKEN', 'H2OGPT_ADMIN_PASS', 'H2OGPT_DB_PASSWD']) {
        const message = buildError({ settings: { [key]: 'hunter2-secret' } });
        expect(message).toMatch(new RegExp(`Invalid settings\\["${key}"\\]: \\(value hidden\\)\\. .*secretEnv: \\{ ${key}: SecretKeyReference`));
        expect(message).not.toContain('hunter2-secret');
      }
      // A credential by its shape, whatever its name (issue #23): a PEM block, a URL with a password.
      for (const [key, value, shape] of [
        ['H2OGPT_SERVER_CERT', '-----BEGIN PRIVATE KEY-----\nhunter2-secret', /it holds a PEM block/],
        ['H2OGPT_DB_URL', 'postgres://app:hunter2-secret@db:5432/h2o', /it is a URL with a password in it/],
      ] as const) {
        const message = buildError({ settings: { [key]: value } });
        expect(message).toMatch(new RegExp(`Invalid settings\\["${key}"\\]: \\(value hidden\\)\\. It looks like a credential \\(${shape.source}`));
        expect(message).not.toContain('hunter2-secret');
      }
      // Not credentials: booleans, paths, a URL with no password, a word that ends in PASS.
      expect(envOf(build({ settings: { H2OGPT_ROOT_URL: 'https://chat.example.com/', H2OGPT_BYPASS: 'x' } }).app).H2OGPT_BYPASS).toBe('x');
      expect(envOf(build({ settings: { H2OGPT_ENFORCE_H2OGPT_API_KEY: 'True', H2OGPT_AUTH_ACCESS: 'closed' } }).app).H2OGPT_AUTH_ACCESS).toBe('closed');
      expect(buildError({ secretEnv: { H2OGPT_OPENAI_API_KEY: SecretKeyReference.fromSecret('k', 'k') } })).toMatch(/sets H2OGPT_OPENAI_API_KEY from openAiApiKey/);
      expect(buildError({ secretEnv: { '1BAD': SecretKeyReference.fromSecret('k', 'k') } })).toMatch(/Invalid secretEnv\["1BAD"\]: "1BAD"\. Names are environment variable names/);
    });

    test('analytics are off unless asked for', () => {
      expect(envOf(build().app)).toMatchObject({
        H2OGPT_ENABLE_HEAP_ANALYTICS: 'False', GRADIO_ANALYTICS_ENABLED: 'False', DO_NOT_TRACK: '1', HF_HUB_DISABLE_TELEMETRY: '1',
      });
      const on = envOf(build({ usageStats: true }).app);
      expect(on.H2OGPT_ENABLE_HEAP_ANALYTICS).toBeUndefined();
      expect(buildError({ settings: { H2OGPT_ENABLE_HEAP_ANALYTICS: 'True' } })).toMatch(/from usageStats/);
    });

    test('several replicas get a PodDisruptionBudget and node spread; one gets neither', () => {
      expect(build().objects.some((o) => o.kind === 'PodDisruptionBudget')).toBe(false);
      const { objects, deployment } = build({ replicas: 2 });
      expect(find(objects, 'PodDisruptionBudget', 'chat').spec.selector.matchLabels).toEqual(deployment.spec.selector.matchLabels);
      expect(podSpec(deployment).topologySpreadConstraints[0].labelSelector.matchLabels).toEqual(deployment.spec.selector.matchLabels);
    });

    test('an image pinned by digest is accepted', () => {
      const image = `gcr.io/vorvan/h2oai/h2ogpt-runtime@sha256:${'c'.repeat(64)}`;
      expect(build({ image }).app.image).toBe(image);
    });
  });

  describe('refuses bad input', () => {
    test.each<[string, Partial<H2oGptProps>, RegExp]>([
      ['name not DNS-1123', { name: 'chat.ui' }, /Invalid name: "chat\.ui"\. Use a DNS-1123 label/],
      ['image without a tag', { image: 'gcr.io/vorvan/h2oai/h2ogpt-runtime' }, /Invalid image: .*Pin the image/],
      ['UI port out of range', { uiPort: 65536 }, /Invalid uiPort: 65536\. Use a whole number from 1 to 65535/],
      ['API port colliding with the UI port', { openAiApi: true, openAiApiKey: SecretKeyReference.fromSecret('k', 'k'), uiPort: 5000 }, /Invalid openAiApiPort: 5000\. It collides with uiPort \(5000\)/],
      ['API port colliding with the UI container port', { openAiApi: true, openAiApiKey: SecretKeyReference.fromSecret('k', 'k'), openAiApiPort: 7860, uiPort: 80 }, /Invalid openAiApiPort: 7860\. It collides with UI container port/],
      ['zero startup budget', { startupProbeBudgetSeconds: 0 }, /Invalid startupProbeBudgetSeconds: 0/],
      ['waiter max below initial', { waiter: { initialDelaySeconds: 5, maxDelaySeconds: 2 } }, /Invalid waiter\.maxDelaySeconds: 2\. It must be at least waiter\.initialDelaySeconds \(5\)/],
      ['waiter deadline zero', { waiter: { deadlineSeconds: 0 } }, /Invalid waiter\.deadlineSeconds: 0/],
    ])('%s', (_label, props, message) => {
      expect(buildError(props)).toMatch(message);
    });

    test('waiter image tagged latest', () => {
      expect(() => StartupWait.initContainer({ image: 'busybox:latest' })).toThrow(/Invalid startupWait\.image: "busybox:latest"\. Pin the image/);
    });
  });
});

test('a wait carries the pod annotations it needs (a port exclusion), and H2oGpt writes them itself: no side channel', () => {
  const exclusion = { 'traffic.sidecar.istio.io/excludeOutboundPorts': '8000' };
  const objects = synth((chart) => {
    const vllm = new VllmServer(chart, 'vllm', { name: 'llm', model: 'm/m' });
    new H2oGpt(chart, 'h2ogpt', {
      name: 'ui', vllm, podAnnotations: { team: 'chat' },
      startupWait: StartupWait.initContainer({ podAnnotations: exclusion }),
    });
  });
  expect(find(objects, 'Deployment', 'ui').spec.template.metadata.annotations).toMatchObject({ team: 'chat', ...exclusion });
  expect(StartupWait.inApp().podAnnotations).toEqual({});
});
