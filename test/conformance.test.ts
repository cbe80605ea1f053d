import {
  Exposure, H2oGptStack, H2oGptStackProps, MeshMode, ModelCache, ModelCacheAccessMode, SecretKeyReference, UiAuthentication,
} from '../src/internal';
import { Manifest, synth } from './helpers';
import { crossObjectProblems, schemaModel, schemaProblems, UserProvided } from './support/conformance';
import { allowedMatrix, defaultAppOutput } from './support/matrix';

// Issue #4: every object synthesis emits, in every allowed mode x strategy and for the default
// app, against the official schemas and the cross-object facts they cannot see. The walk covers
// whatever is emitted, so a new kind is checked (or fails for lack of a schema) automatically.

const USER_PROVIDED: UserProvided = { secrets: ['hf-token', 'vllm-api-key', 'h2ogpt-api-key', 'chat-users'], claims: ['shared-weights', 'chat-save'] };

const VARIANTS: Array<[string, Partial<H2oGptStackProps>]> = [
  ['defaults', {}],
  ['secrets, API port, replicas, namespace', {
    namespace: 'ai',
    vllm: {
      model: 'meta-llama/Llama-3.1-8B-Instruct', gpus: 2, replicas: 2,
      huggingFaceToken: SecretKeyReference.fromSecret('hf-token', 'token'),
      apiKey: SecretKeyReference.fromSecret('vllm-api-key', 'key'),
      modelCache: ModelCache.newClaim({ accessMode: ModelCacheAccessMode.READ_WRITE_MANY, storageClassName: 'nfs' }),
    },
    h2ogpt: { replicas: 3, openAiApi: true, openAiApiKey: SecretKeyReference.fromSecret('h2ogpt-api-key', 'key'), saveDirClaimName: 'chat-save', settings: { H2OGPT_MAX_SEQ_LEN: '8192' } },
  }],
  ['existing claim', { vllm: { model: 'm', modelCache: ModelCache.existingClaim('shared-weights'), port: 9000 } }],
  ['ephemeral cache', { vllm: { model: 'm', modelCache: ModelCache.ephemeral() } }],
  ['exposed through a Gateway, with login', {
    namespace: 'ai',
    exposure: Exposure.gateway({ gatewayName: 'public', gatewayNamespace: 'gateways', hostname: 'chat.example.com' }),
    h2ogpt: { authentication: UiAuthentication.fromSecret('chat-users') },
  }],
  ['monitored: PodMonitor, PrometheusRule, dashboard', { namespace: 'ai', monitoring: { selectorLabels: { release: 'kps' } } }],
  ['autoscaled: KEDA for vLLM, an HPA for one h2oGPT replica at most under any mesh', {
    monitoring: {},
    vllm: { model: 'm', modelCache: ModelCache.newClaim({ accessMode: ModelCacheAccessMode.READ_WRITE_MANY }) },
    autoscaling: { vllmMaxReplicas: 3, availableGpus: 3, h2ogptMaxReplicas: 1 },
  }],
  ['a model across two nodes, monitored and autoscaled, and a model with a LoRA adapter', {
    namespace: 'ai',
    monitoring: {},
    vllm: { model: 'meta-llama/Llama-3.1-405B-Instruct', gpus: 8, nodes: 2, huggingFaceToken: SecretKeyReference.fromSecret('hf-token', 'token') },
    additionalModels: [{ id: 'coder', model: 'Qwen/Qwen2.5-Coder-7B-Instruct', port: 8001, maxModelLen: 8192, loraAdapters: [{ name: 'sql', source: 'org/sql-lora' }], modelCache: ModelCache.ephemeral() }],
    autoscaling: { vllmMaxReplicas: 2, availableGpus: 34 },
  }],
  ['exposed through an Ingress with a cert-manager Certificate, with login', {
    exposure: Exposure.ingress({ className: 'nginx', hostname: 'chat.example.com', tlsSecretName: 'chat-tls', certManagerIssuer: 'letsencrypt' }),
    h2ogpt: { authentication: UiAuthentication.fromSecret('chat-users') },
  }],
];

const outputs = [defaultAppOutput(), ...allowedMatrix(VARIANTS)];

describe('conformance of everything synthesis emits', () => {
  test('the walk covers the matrix and every kind it emits has a schema', () => {
    expect(outputs.length).toBeGreaterThan(200);
    const kinds = new Set(outputs.flatMap((o) => o.objects.map((x) => `${x.apiVersion} ${x.kind}`)));
    expect([...kinds].sort()).toEqual([
      'apps/v1 Deployment', 'autoscaling/v2 HorizontalPodAutoscaler', 'cert-manager.io/v1 Certificate', 'gateway.networking.k8s.io/v1 Gateway', 'gateway.networking.k8s.io/v1 HTTPRoute', 'keda.sh/v1alpha1 ScaledObject', 'leaderworkerset.x-k8s.io/v1 LeaderWorkerSet', 'monitoring.coreos.com/v1 PodMonitor', 'monitoring.coreos.com/v1 PrometheusRule', 'networking.istio.io/v1 DestinationRule', 'networking.k8s.io/v1 Ingress', 'networking.k8s.io/v1 NetworkPolicy',
      'policy.linkerd.io/v1alpha1 AuthorizationPolicy', 'policy.linkerd.io/v1alpha1 MeshTLSAuthentication', 'policy.linkerd.io/v1alpha1 NetworkAuthentication',
      'policy.linkerd.io/v1beta3 HTTPRoute', 'policy.linkerd.io/v1beta3 Server', 'policy/v1 PodDisruptionBudget',
      'security.istio.io/v1 AuthorizationPolicy', 'security.istio.io/v1 PeerAuthentication',
      'v1 ConfigMap', 'v1 PersistentVolumeClaim', 'v1 Service', 'v1 ServiceAccount',
    ]);
    for (const kind of kinds) expect(schemaModel(kind.split(' ')[0].replace(/\.istio\.io\/v1$/, '.istio.io/v1beta1'), kind.split(' ')[1])).toBeDefined();
  });

  test('every object validates against the official Kubernetes OpenAPI schemas', () => {
    const problems = outputs.flatMap((o) => o.objects.flatMap(schemaProblems).map((p) => `${o.label}: ${p}`));
    expect(problems).toEqual([]);
  });

  test('cross-object facts hold: selectors, ports, volumes, references, unique names', () => {
    const problems = outputs.flatMap((o) => crossObjectProblems(o.objects, USER_PROVIDED).map((p) => `${o.label}: ${p}`));
    expect(problems).toEqual([]);
  });
});

describe('the checks themselves can fail', () => {
  const base = () => synth((chart) => new H2oGptStack(chart, 'stack', { name: 'chat', vllm: { model: 'm' } }));
  const deployment = (objects: Manifest[], name: string) => objects.find((o) => o.kind === 'Deployment' && o.metadata.name === name)!;

  test('a schema violation names the object and the path', () => {
    const objects = base();
    deployment(objects, 'chat').spec.template.spec.containers[0].ports[0].containerPort = '7860';
    expect(schemaProblems(deployment(objects, 'chat'))).toEqual(['Deployment/chat: /spec/template/spec/containers/0/ports/0/containerPort must be integer {"type":"integer"}']);
  });

  test('an unknown kind is reported, not skipped', () => {
    expect(schemaProblems({ apiVersion: 'policy.linkerd.io/v1beta1', kind: 'ServerAuthorization', metadata: { name: 'vllm' } })[0])
      .toMatch(/ServerAuthorization\/vllm: no schema known for policy\.linkerd\.io\/v1beta1 ServerAuthorization/);
  });

  test('Linkerd policy objects are validated against their schemas, unknown fields included', () => {
    const server = { apiVersion: 'policy.linkerd.io/v1beta3', kind: 'Server', metadata: { name: 'vllm' }, spec: { podSelector: { matchLabels: { a: 'b' } }, port: 'http', proxyProtocol: 'HTTP/1' } };
    expect(schemaProblems(server)).toEqual([]);
    expect(schemaProblems({ ...server, spec: { ...server.spec, proxyProtocol: 'http' } }).join('\n')).toMatch(/Server\/vllm: \/spec\/proxyProtocol must be equal to one of the allowed values/);
    expect(schemaProblems({ ...server, spec: { ...server.spec, prot: 'x' } }).join('\n')).toMatch(/Server\/vllm: \/spec must NOT have additional properties/);
    const policy = { apiVersion: 'policy.linkerd.io/v1alpha1', kind: 'AuthorizationPolicy', metadata: { name: 'p' }, spec: { targetRef: { group: 'policy.linkerd.io', kind: 'Server', name: 'vllm' } } };
    expect(schemaProblems(policy).join('\n')).toMatch(/must have required property 'requiredAuthenticationRefs'/);
  });

  test('a Linkerd reference to an object that is not emitted is found', () => {
    const objects = synth((chart) => new H2oGptStack(chart, 'stack', { name: 'chat', vllm: { model: 'm' }, mesh: MeshMode.linkerdSidecar() }));
    expect(crossObjectProblems(objects)).toEqual([]);
    const policy = objects.find((o) => o.kind === 'AuthorizationPolicy')!;
    policy.spec.targetRef.name = 'elsewhere';
    expect(crossObjectProblems(objects)).toEqual(['AuthorizationPolicy/chat-vllm: refers to Server "elsewhere", which is not emitted']);
  });

  test('Istio custom resources are validated against the Istio schemas', () => {
    const policy = { apiVersion: 'security.istio.io/v1', kind: 'PeerAuthentication', metadata: { name: 'vllm' }, spec: { mtls: { mode: 'STRICT' } } };
    expect(schemaProblems(policy)).toEqual([]);
    expect(schemaProblems({ ...policy, spec: { mtls: { mode: 7 } } })[0]).toMatch(/PeerAuthentication\/vllm: \/spec\/mtls\/mode/);
  });

  test('selector, target port, probe port, volume, reference and duplicate faults are each found', () => {
    const objects = base();
    const front = deployment(objects, 'chat');
    front.spec.template.metadata.labels['app.kubernetes.io/name'] = 'other';
    objects.find((o) => o.kind === 'NetworkPolicy' && o.metadata.name === 'chat')!.spec.podSelector.matchLabels = { ...front.spec.template.metadata.labels };
    const vllm = deployment(objects, 'chat-vllm');
    vllm.spec.template.spec.containers[0].startupProbe.httpGet.port = 'metrics';
    const mounts = vllm.spec.template.spec.containers[0].volumeMounts;
    mounts.push({ name: 'missing', mountPath: '/x' });
    const env = vllm.spec.template.spec.containers[0].env;
    env.push({ name: 'T', valueFrom: { secretKeyRef: { name: 'nowhere', key: 'k' } } });
    vllm.spec.template.spec.serviceAccountName = 'ghost';
    objects.find((o) => o.kind === 'Service' && o.metadata.name === 'chat-vllm')!.spec.ports[0].targetPort = 'grpc';
    objects.push({ ...objects[0] });
    expect(crossObjectProblems(objects)).toEqual([
      `PersistentVolumeClaim/chat-vllm-model-cache: objects #0 and #${objects.length - 1} share kind, namespace and name`,
      'Service/chat-vllm: spec.ports[0].targetPort "grpc" is not a port of any container in Deployment/chat-vllm',
      'Service/chat: spec.selector {"app.kubernetes.io/instance":"chat","app.kubernetes.io/name":"h2ogpt"} matches 0 pod templates (none); it must match exactly one',
      'NetworkPolicy/chat-vllm: spec.ingress[0].from[0].podSelector {"app.kubernetes.io/instance":"chat","app.kubernetes.io/name":"h2ogpt"} matches 0 pod templates of 0 workloads; it must match exactly one workload',
      'Deployment/chat-vllm: spec.template.spec.serviceAccountName "ghost" is not emitted',
      `Deployment/chat-vllm: spec.template.spec.containers[0].volumeMounts[${mounts.length - 1}] names volume "missing", which the pod does not have`,
      'Deployment/chat-vllm: spec.template.spec.containers[0].startupProbe uses port "metrics", which the container does not declare',
      `Deployment/chat-vllm: spec.template.spec.containers[0].env[${env.length - 1}].valueFrom.secretKeyRef.name "nowhere" is neither emitted nor user-provided`,
    ]);
  });

  test('a route to a Service port that is not emitted, and a Certificate no Ingress serves, are each found', () => {
    const objects = synth((chart) => new H2oGptStack(chart, 'stack', {
      name: 'chat', vllm: { model: 'm' }, h2ogpt: { authentication: UiAuthentication.fromSecret('users') },
      exposure: Exposure.ingress({ className: 'nginx', hostname: 'chat.example.com', tlsSecretName: 'chat-tls', certManagerIssuer: 'le' }),
    }));
    expect(crossObjectProblems(objects, { secrets: ['users'] })).toEqual([]);
    objects.find((o) => o.kind === 'Ingress')!.spec.rules[0].http.paths[0].backend.service.port.number = 8080;
    objects.find((o) => o.kind === 'Certificate')!.spec.secretName = 'other-tls';
    const route = synth((chart) => new H2oGptStack(chart, 'stack', {
      name: 'chat', vllm: { model: 'm' }, h2ogpt: { authentication: UiAuthentication.fromSecret('users') },
      exposure: Exposure.gateway({ gatewayName: 'g', hostname: 'chat.example.com' }),
    })).find((o) => o.kind === 'HTTPRoute')!;
    route.spec.rules[0].backendRefs[0].name = 'chat-typo';
    expect(crossObjectProblems([...objects, route], { secrets: ['users'] })).toEqual([
      'HTTPRoute/chat: spec.rules[0].backendRefs[0] names Service "chat-typo" port 7860, which is not emitted',
      'Ingress/chat: spec.rules[0].http.paths[0].backend.service names Service "chat" port 8080, which is not emitted',
      'Certificate/chat-tls: spec.secretName "other-tls" is not the TLS Secret of an Ingress for its dnsNames',
    ]);
  });
});
