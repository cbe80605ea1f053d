import { spawnSync } from 'child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { Chart, Testing } from 'cdk8s';
import {
  Errors, Exposure, ExposureKind, H2oGptStack, H2oGptStackProps, MeshMode, MtlsMode, UiAuthentication, Warnings,
} from '../src/internal';
import { allModeVariants } from '../src/startup/decision-table';
import { find, Manifest, podSpec, synth, testApp } from './helpers';
import { crossObjectProblems, schemaProblems } from './support/conformance';

// Issue #14, exposure: an HTTPRoute on an existing Gateway or an Ingress with TLS, never without a
// decision on who may log in, with timeouts for long streamed answers, in every mesh mode.

const gateway = () => Exposure.gateway({ gatewayName: 'public', gatewayNamespace: 'gateways', listenerName: 'https', hostname: 'chat.example.com' });
const ingress = (options: Partial<Parameters<typeof Exposure.ingress>[0]> = {}) => Exposure.ingress({
  className: 'nginx', hostname: 'chat.example.com', tlsSecretName: 'chat-tls', certManagerIssuer: 'letsencrypt', ...options,
});
const login = () => UiAuthentication.fromSecret('chat-users');

function build(props: Partial<H2oGptStackProps>): { objects: Manifest[]; stack: H2oGptStack } {
  let stack: H2oGptStack | undefined;
  const objects = synth((chart) => {
    stack = new H2oGptStack(chart, 'stack', { name: 'chat', namespace: 'ai', vllm: { model: 'Qwen/Qwen2.5-1.5B-Instruct' }, ...props });
  });
  return { objects, stack: stack! };
}

const appContainer = (objects: Manifest[]) => podSpec(find(objects, 'Deployment', 'chat')).containers[0];
const envOf = (container: any) => Object.fromEntries((container.env ?? []).map((e: any) => [e.name, e.value ?? e.valueFrom]));

describe('Gateway API', () => {
  test('an HTTPRoute on the named Gateway and listener, for the host, to the UI Service, with stream-length timeouts', () => {
    const { objects, stack } = build({ exposure: gateway(), h2ogpt: { authentication: login() } });
    const route = find(objects, 'HTTPRoute', 'chat');
    expect(route.apiVersion).toBe('gateway.networking.k8s.io/v1');
    expect(route.metadata.namespace).toBe('ai');
    expect(route.spec.parentRefs).toEqual([{ group: 'gateway.networking.k8s.io', kind: 'Gateway', name: 'public', namespace: 'gateways', sectionName: 'https' }]);
    expect(route.spec.hostnames).toEqual(['chat.example.com']);
    expect(route.spec.rules).toEqual([{
      matches: [{ path: { type: 'PathPrefix', value: '/' } }],
      backendRefs: [{ kind: 'Service', name: 'chat', port: 7860 }],
      timeouts: { request: '3600s', backendRequest: '3600s' },
    }]);
    expect(stack.publicUrl).toBe('https://chat.example.com/');
    expect(stack.uiRoute).toHaveLength(1);
    expect(schemaProblems(route)).toEqual([]);
    expect(crossObjectProblems(objects, { secrets: ['chat-users'] })).toEqual([]);
  });

  test('the Gateway defaults to the stack\'s namespace and every listener; the timeout is a prop', () => {
    const { objects } = build({
      exposure: Exposure.gateway({ gatewayName: 'public', hostname: 'chat.example.com', requestTimeoutSeconds: 900 }),
      h2ogpt: { authentication: login(), uiPort: 80 },
    });
    const route = find(objects, 'HTTPRoute', 'chat');
    expect(route.spec.parentRefs).toEqual([{ group: 'gateway.networking.k8s.io', kind: 'Gateway', name: 'public' }]);
    expect(route.spec.rules[0].timeouts).toEqual({ request: '900s', backendRequest: '900s' });
    expect(route.spec.rules[0].backendRefs[0].port).toBe(80);
  });
});

describe('Ingress', () => {
  test('TLS for the host, the UI Service as backend, ingress-nginx told not to cut or buffer streams, a cert-manager Certificate', () => {
    const { objects, stack } = build({ exposure: ingress(), h2ogpt: { authentication: login() } });
    const object = find(objects, 'Ingress', 'chat');
    expect(object.spec).toEqual({
      ingressClassName: 'nginx',
      tls: [{ hosts: ['chat.example.com'], secretName: 'chat-tls' }],
      rules: [{ host: 'chat.example.com', http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'chat', port: { number: 7860 } } } }] } }],
    });
    expect(object.metadata.annotations).toEqual({
      'nginx.ingress.kubernetes.io/proxy-read-timeout': '3600',
      'nginx.ingress.kubernetes.io/proxy-send-timeout': '3600',
      'nginx.ingress.kubernetes.io/proxy-buffering': 'off',
    });
    const certificate = find(objects, 'Certificate', 'chat-tls');
    expect(certificate.apiVersion).toBe('cert-manager.io/v1');
    expect(certificate.spec).toEqual({
      secretName: 'chat-tls', dnsNames: ['chat.example.com'], issuerRef: { group: 'cert-manager.io', kind: 'ClusterIssuer', name: 'letsencrypt' },
    });
    expect(stack.publicUrl).toBe('https://chat.example.com/');
    for (const o of [object, certificate]) expect(schemaProblems(o)).toEqual([]);
    expect(crossObjectProblems(objects, { secrets: ['chat-users'] })).toEqual([]);
  });

  test('without an issuer the TLS Secret is the user\'s and no Certificate is emitted; another class gets a timeout warning instead of nginx annotations', () => {
    const { objects, stack } = build({ exposure: ingress({ className: 'traefik', certManagerIssuer: undefined }), h2ogpt: { authentication: login() } });
    expect(objects.filter((o) => o.kind === 'Certificate')).toEqual([]);
    expect(find(objects, 'Ingress', 'chat').metadata.annotations).toBeUndefined();
    expect(stack.warnings.join('\n')).toMatch(/IngressClass "traefik" is not ingress-nginx.*request timeout of 3600 s/);
  });

  test('under a mesh, ingress-nginx sends to the Service, so its own proxy carries the request; under Istio STRICT the controller must be meshed', () => {
    const { objects, stack } = build({ mesh: MeshMode.istioSidecar(), exposure: ingress(), h2ogpt: { authentication: login() } });
    expect(find(objects, 'Ingress', 'chat').metadata.annotations['nginx.ingress.kubernetes.io/service-upstream']).toBe('true');
    expect(stack.warnings.join('\n')).toMatch(/h2oGPT accepts mTLS only: the "nginx" controller's pods must be in the mesh/);
    const permissive = build({ mesh: MeshMode.istioSidecar({ mtls: MtlsMode.PERMISSIVE }), exposure: ingress(), h2ogpt: { authentication: login() } });
    expect(permissive.stack.warnings.join('\n')).not.toMatch(/must be in the mesh/);
  });
});

describe('authentication', () => {
  test('exposing the UI without a decision on login is refused, naming the field and both ways out', () => {
    for (const exposure of [gateway(), ingress()]) {
      expect(() => build({ exposure })).toThrow(/^Invalid h2ogpt\.authentication: undefined\. The UI would be open to anyone at https:\/\/chat\.example\.com\/\. Set h2ogpt\.authentication: UiAuthentication\.fromSecret\("<secret>"\).*or UiAuthentication\.disabled\(\)/);
    }
    expect(Errors.inspect(captured(() => build({ exposure: gateway() })))?.field).toBe('h2ogpt.authentication');
  });

  test('h2oGPT\'s own login, closed and frozen, from a writable copy of the Secret\'s file; the password never enters the manifest (issue #23)', () => {
    const { objects } = build({ exposure: gateway(), h2ogpt: { authentication: UiAuthentication.fromSecret('chat-users', 'users.json') } });
    const container = appContainer(objects);
    expect(envOf(container)).toMatchObject({
      H2OGPT_AUTH: '/workspace/users/auth.json',
      H2OGPT_AUTH_FILENAME: '/workspace/users/auth.json',
      H2OGPT_AUTH_ACCESS: 'closed',
      H2OGPT_AUTH_FREEZE: 'True',
      H2OGPT_GUEST_NAME: '',
    });
    expect(container.env.filter((e: any) => e.name === 'H2OGPT_AUTH_FILENAME')).toHaveLength(1);
    // h2oGPT locks auth.json.lock beside the file and writes the file on every login (docs/app-facts.md
    // §1): the folder holding it is a writable mount of an emptyDir in the app container, and the
    // Secret is not mounted there at all.
    const spec = podSpec(find(objects, 'Deployment', 'chat'));
    const holding = container.volumeMounts.filter((m: any) => '/workspace/users/auth.json'.startsWith(`${m.mountPath}/`));
    expect(holding).toEqual([{ name: 'state', subPath: 'users', mountPath: '/workspace/users' }]);
    expect(spec.volumes.find((v: any) => v.name === 'state').emptyDir).toBeDefined();
    expect(container.volumeMounts.some((m: any) => m.name === 'auth')).toBe(false);
    expect(spec.volumes).toContainEqual({ name: 'auth', secret: { secretName: 'chat-users', items: [{ key: 'users.json', path: 'auth.json' }], defaultMode: 0o440 } });
    expect(spec.securityContext.fsGroup).toBe(1000); // the group that may read the file
    expect(objects.some((o) => o.kind === 'Secret')).toBe(false);

    // The copy, run for real with its paths mapped into a scratch folder: the file arrives whole,
    // its owner can write it, and a lock can be made beside it.
    const prepare = spec.initContainers.find((c: any) => c.name === 'prepare-workspace');
    expect(prepare.volumeMounts).toContainEqual({ name: 'auth', mountPath: '/etc/h2ogpt/auth', readOnly: true });
    expect(prepare.volumeMounts).toContainEqual({ name: 'state', subPath: 'users', mountPath: '/workspace/users' });
    expect(prepare.command.slice(3)).toEqual(['prepare-workspace', '/workspace', '/run/h2ogpt', '/etc/h2ogpt/auth/auth.json', '/workspace/users/auth.json']);
    const scratch = mkdtempSync(join(tmpdir(), 'cdk8s-h2ogpt-auth-copy-'));
    try {
      for (const mount of prepare.volumeMounts) mkdirSync(join(scratch, mount.mountPath), { recursive: true });
      writeFileSync(join(scratch, '/etc/h2ogpt/auth/auth.json'), '{"ann": {"password": "x", "userid": "1"}}', { mode: 0o440 });
      const [shell, flag, script, name, ...paths] = prepare.command;
      const run = spawnSync(shell, [flag, script, name, ...paths.map((p: string) => join(scratch, p))], { encoding: 'utf8' });
      expect(run.stderr).toBe('');
      expect(run.status).toBe(0);
      const copied = join(scratch, '/workspace/users/auth.json');
      expect(readFileSync(copied, 'utf8')).toBe('{"ann": {"password": "x", "userid": "1"}}');
      expect(statSync(copied).mode & 0o200).toBe(0o200);
      writeFileSync(`${copied}.lock`, '');
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
    // It calls nothing, so the analyzer and the mesh have nothing to hold it up for.
    expect(find(objects, 'Deployment', 'chat').spec.template.metadata.annotations['cdk8s-h2ogpt.io/network-init-containers'].split(',')).not.toContain('prepare-workspace');
  });

  test('without authentication nothing changes: the user-state auth file stays where it was', () => {
    const env = envOf(appContainer(build({}).objects));
    expect(env.H2OGPT_AUTH).toBeUndefined();
    expect(env.H2OGPT_AUTH_FILENAME).toBe('/workspace/users/auth.json');
  });

  test('disabled on purpose: exposed, with a warning that names the URL, recorded for Warnings.of(app)', () => {
    const app = testApp();
    const stack = new H2oGptStack(new Chart(app, 'c'), 'stack', {
      name: 'chat', vllm: { model: 'm/m' }, exposure: gateway(), h2ogpt: { authentication: UiAuthentication.disabled() },
    });
    expect(stack.warnings.join('\n')).toMatch(/h2ogpt\.authentication is disabled: anyone who reaches https:\/\/chat\.example\.com\/ uses the UI/);
    expect(Warnings.of(app).map((w) => w.message).join('\n')).toMatch(/authentication is disabled/);
    const objects = Testing.synth(Chart.of(stack)) as Manifest[];
    expect(envOf(appContainer(objects)).H2OGPT_AUTH).toBeUndefined();
    expect(find(objects, 'HTTPRoute', 'chat')).toBeDefined();
  });

  test.each([
    [{ settings: { H2OGPT_AUTH: "[('a','b')]" } }, /Invalid h2ogpt\.settings\["H2OGPT_AUTH"\]: .*The construct sets H2OGPT_AUTH from authentication/],
    [{ authentication: login(), settings: { H2OGPT_AUTH_FILENAME: '/x.json' } }, /Invalid h2ogpt\.settings\["H2OGPT_AUTH_FILENAME"\]: "\/x\.json"\. With authentication, the construct sets it: h2oGPT reads its users from the Secret's file/],
    [{ authentication: login(), settings: { H2OGPT_AUTH_ACCESS: 'open' } }, /Invalid h2ogpt\.settings\["H2OGPT_AUTH_ACCESS"\]: "open"\. With authentication, the construct sets it/],
    [{ authentication: 'on' as any }, /Invalid h2ogpt\.authentication: "string"\. Use UiAuthentication\.fromSecret/],
  ])('%j is refused, naming the field', (h2ogpt, message) => {
    expect(() => build({ h2ogpt })).toThrow(message);
  });
});

describe('bad exposure input names the field, the value and the fix', () => {
  test.each([
    [() => Exposure.gateway({ gatewayName: 'Public', hostname: 'chat.example.com' }), /^Invalid exposure\.gatewayName: "Public"\. Use a DNS-1123 subdomain/],
    [() => Exposure.gateway({ gatewayName: 'g', hostname: 'https://chat.example.com' }), /^Invalid exposure\.hostname: "https:\/\/chat\.example\.com"\. Use a fully qualified, lower-case DNS name/],
    [() => Exposure.gateway({ gatewayName: 'g', hostname: '*.example.com' }), /^Invalid exposure\.hostname: "\*\.example\.com"\. Give one host, not a wildcard/],
    [() => Exposure.gateway({ gatewayName: 'g', hostname: 'chat' }), /^Invalid exposure\.hostname: "chat"\. .*at least one dot/],
    [() => Exposure.gateway({ gatewayName: 'g', hostname: 'chat.example.com', requestTimeoutSeconds: 0 }), /^Invalid exposure\.requestTimeoutSeconds: 0\./],
    [() => Exposure.ingress({ className: 'nginx', hostname: 'chat.example.com', tlsSecretName: '' }), /^Invalid exposure\.tlsSecretName: ""\. Name the Secret with the TLS certificate/],
    [() => Exposure.ingress({ className: 'nginx', hostname: 'chat.example.com', tlsSecretName: 't', certManagerIssuerKind: 'Issuer' }), /^Invalid exposure\.certManagerIssuerKind: "Issuer"\. It only applies with certManagerIssuer/],
    [() => Exposure.ingress({ className: 'nginx', hostname: 'chat.example.com', tlsSecretName: 't', certManagerIssuer: 'i', certManagerIssuerKind: 'Vault' }), /^Invalid exposure\.certManagerIssuerKind: "Vault"\. Use one of: ClusterIssuer, Issuer/],
    [() => UiAuthentication.fromSecret('Users'), /^Invalid authentication\.secretName: "Users"/],
    [() => build({ exposure: 'gateway' as any }), /^Invalid exposure: "string"\. Use Exposure\.gateway/],
  ])('%#', (make, message) => {
    expect(make).toThrow(message);
  });
});

describe('in every mesh mode', () => {
  test.each(allModeVariants().map((m) => [m.describe(), m] as const))('%s: exposed through a Gateway, the stack synthesizes, its pods can start, and the UI Service admits the gateway', (_label, mesh) => {
    const { objects } = build({ mesh, exposure: gateway(), h2ogpt: { authentication: login() } });
    expect(find(objects, 'HTTPRoute', 'chat').spec.rules[0].backendRefs[0]).toEqual({ kind: 'Service', name: 'chat', port: 7860 });
    // h2oGPT's NetworkPolicy admits its UI port from the Gateway's pods only (its namespace here),
    // and no mesh policy selects h2oGPT beyond PeerAuthentication, which a meshed gateway satisfies.
    const policy = find(objects, 'NetworkPolicy', 'chat');
    expect(policy.spec.ingress[0]).toEqual({
      from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'gateways' } }, podSelector: { matchLabels: {} } }],
      ports: [{ port: 7860, protocol: 'TCP' }],
    });
    expect(policy.spec.ingress.filter((rule: any) => rule.ports.some((p: any) => p.port === 7860))).toHaveLength(1);
    const frontSelectingPolicies = objects.filter((o) => o.kind === 'AuthorizationPolicy' && o.metadata.name === 'chat');
    expect(frontSelectingPolicies).toEqual([]);
    for (const o of objects) expect(schemaProblems(o)).toEqual([]);
    expect(crossObjectProblems(objects, { secrets: ['chat-users'] })).toEqual([]);
  });
});

function captured(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  throw new Error('expected an error');
}

test('ExposureKind names the three ways in', () => {
  expect(Object.values(ExposureKind)).toEqual(['none', 'gateway', 'ingress']);
  expect(Exposure.none().kind).toBe(ExposureKind.NONE);
});

describe('who reaches an exposed UI (issue #23)', () => {
  const uiRule = (objects: Manifest[]) => find(objects, 'NetworkPolicy', 'chat').spec.ingress.filter((r: any) => r.ports.some((p: any) => p.port === 7860));
  test('an nginx class: ingress-nginx\'s controller pods in its namespace, by the labels its own manifests give them', () => {
    const { objects } = build({ exposure: Exposure.ingress({ className: 'nginx', hostname: 'chat.example.com', tlsSecretName: 'tls' }), h2ogpt: { authentication: login() } });
    expect(uiRule(objects)).toEqual([{
      from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'ingress-nginx' } }, podSelector: { matchLabels: { 'app.kubernetes.io/name': 'ingress-nginx', 'app.kubernetes.io/component': 'controller' } } }],
      ports: [{ port: 7860, protocol: 'TCP' }],
    }]);
  });

  test('given pods: those only; another class without them: open, with a warning that says how to close it', () => {
    const { objects } = build({
      exposure: Exposure.gateway({ gatewayName: 'public', hostname: 'chat.example.com', proxyNamespace: 'edge', proxyPodLabels: { 'gateway.networking.k8s.io/gateway-name': 'public' } }),
      h2ogpt: { authentication: login() },
    });
    expect(uiRule(objects)[0].from).toEqual([{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'edge' } }, podSelector: { matchLabels: { 'gateway.networking.k8s.io/gateway-name': 'public' } } }]);
    const { objects: open, stack } = build({ exposure: Exposure.ingress({ className: 'traefik', hostname: 'chat.example.com', tlsSecretName: 'tls' }), h2ogpt: { authentication: login() } });
    expect(uiRule(open)).toEqual([{ ports: [{ port: 7860, protocol: 'TCP' }] }]);
    expect(stack.warnings.join('\n')).toMatch(/exposure\.ingress: the ingress controller of class "traefik" is unknown here, so h2oGPT's UI port stays open to every pod; set proxyNamespace/);
    expect(() => Exposure.gateway({ gatewayName: 'public', hostname: 'chat.example.com', proxyPodLabels: { 'a b': 'c' } })).toThrow(/Invalid exposure\.proxyPodLabels key: "a b"/);
  });

  test('--no-login says that pods in the cluster reach the UI too', () => {
    const { stack } = build({ exposure: gateway(), h2ogpt: { authentication: UiAuthentication.disabled() } });
    expect(stack.warnings.join('\n')).toMatch(/authentication is disabled: anyone who reaches https:\/\/chat\.example\.com\/ uses the UI, and through it vLLM; so does every pod in the cluster that reaches the gateway/);
  });
});
