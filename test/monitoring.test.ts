import { H2oGptStack, H2oGptStackProps, MeshMode, MonitoringOptions } from '../src/internal';
import { allModeVariants } from '../src/startup/decision-table';
import { find, Manifest, podSpec, synth } from './helpers';
import { crossObjectProblems, schemaProblems } from './support/conformance';

// Issue #14, metrics and alerts: a PodMonitor that reaches vLLM's /metrics under STRICT mTLS in
// every mode (Istio's merging, or a scrape over the mesh), a PrometheusRule, a Grafana dashboard.

// vLLM's metric names for the pinned v0.11 (vllm/v1/metrics/loggers.py): counters get "_total",
// histograms "_bucket". Anything the rules or the dashboard query must be one of these. Not
// vllm:time_per_output_token_seconds: deprecated in v0.11, gone in v0.13 (docs/app-facts.md §3).
const VLLM_METRICS = [
  'vllm:num_requests_running', 'vllm:num_requests_waiting', 'vllm:kv_cache_usage_perc', 'vllm:prompt_tokens_total',
  'vllm:generation_tokens_total', 'vllm:time_to_first_token_seconds_bucket', 'vllm:inter_token_latency_seconds_bucket',
];

/** A stack in namespace ai; `monitoring` null: unmonitored. */
function build(props: Partial<H2oGptStackProps> = {}, monitoring: MonitoringOptions | null = {}): { objects: Manifest[]; stack: H2oGptStack } {
  let stack: H2oGptStack | undefined;
  const objects = synth((chart) => {
    stack = new H2oGptStack(chart, 'stack', { name: 'chat', namespace: 'ai', vllm: { model: 'Qwen/Qwen2.5-1.5B-Instruct' }, monitoring: monitoring ?? undefined, ...props });
  });
  return { objects, stack: stack! };
}

const vllmPodAnnotations = (objects: Manifest[]) => find(objects, 'Deployment', 'chat-vllm').spec.template.metadata.annotations ?? {};
const upstreamIngress = (objects: Manifest[]) => find(objects, 'NetworkPolicy', 'chat-vllm').spec.ingress;
// Prometheus's pods of its namespace, by the label prometheus-operator gives them (issue #23: not the whole namespace).
const fromMonitoring = { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } }, podSelector: { matchLabels: { 'app.kubernetes.io/name': 'prometheus' } } };
const queriedMetrics = (text: string) => [...new Set(text.match(/vllm:[a-z_]+/g) ?? [])];

/**
 * The addresses Prometheus scrapes for one PodMonitor endpoint and one pod, derived as the pieces
 * upstream derive them:
 * - Prometheus's pod role (docs/configuration/configuration.md, kubernetes_sd_config "pod"): a
 *   target per declared port of each container, and one port-free target for a container with none;
 * - prometheus-operator (pkg/prometheus/promcfg.go at v0.93.0, commit f8fafd47): `port` keeps the
 *   targets whose container port name matches, else `portNumber`, else the deprecated `targetPort`
 *   keeps those whose container port number matches, and the endpoint's relabelings follow;
 * - Prometheus relabeling: source labels joined with ";", the regex anchored at both ends, and a
 *   `replace` that matches writes the expanded replacement to the target label.
 */
function scrapeTargets(endpoint: any, pod: { ip: string; containers: Array<{ name: string; ports?: Array<{ name?: string; containerPort: number }> }> }): string[] {
  const discovered = pod.containers.flatMap((c) => (c.ports?.length ? c.ports : [undefined]).map((port) => ({
    '__address__': port ? (pod.ip.includes(':') ? `[${pod.ip}]:${port.containerPort}` : `${pod.ip}:${port.containerPort}`) : pod.ip,
    '__meta_kubernetes_pod_ip': pod.ip,
    '__meta_kubernetes_pod_container_name': c.name,
    '__meta_kubernetes_pod_container_port_name': port?.name ?? '',
    '__meta_kubernetes_pod_container_port_number': port ? String(port.containerPort) : '',
  } as Record<string, string>)));
  const kept = discovered.filter((t) => (endpoint.port !== undefined ? t.__meta_kubernetes_pod_container_port_name === endpoint.port
    : (endpoint.portNumber ?? endpoint.targetPort) !== undefined ? t.__meta_kubernetes_pod_container_port_number === String(endpoint.portNumber ?? endpoint.targetPort) : true));
  return kept.map((target) => {
    for (const rule of endpoint.relabelings ?? []) {
      if ((rule.action ?? 'replace').toLowerCase() !== 'replace') throw new Error(`scrapeTargets models replace only, not ${rule.action}`);
      const value = (rule.sourceLabels ?? []).map((l: string) => target[l] ?? '').join(';');
      const match = new RegExp(`^(?:${rule.regex ?? '(.*)'})$`).exec(value);
      if (match) target[rule.targetLabel] = (rule.replacement ?? '$1').replace(/\$(\d+)/g, (_: string, n: string) => match[Number(n)] ?? '');
    }
    return target.__address__;
  });
}

describe('scraping under each mode', () => {
  test('no mesh: the PodMonitor scrapes vLLM\'s own port, which the NetworkPolicy opens to Prometheus\'s pods only', () => {
    const { objects } = build({ mesh: MeshMode.none() });
    expect(find(objects, 'PodMonitor', 'chat-vllm').spec).toEqual({
      selector: { matchLabels: { 'app.kubernetes.io/name': 'vllm', 'app.kubernetes.io/instance': 'chat' } },
      podMetricsEndpoints: [{ port: 'http', path: '/metrics', scheme: 'http', interval: '15s' }],
    });
    expect(upstreamIngress(objects)).toContainEqual({ from: [fromMonitoring], ports: [{ port: 8000, protocol: 'TCP' }] });
    expect(vllmPodAnnotations(objects)['prometheus.io/scrape']).toBeUndefined();
  });

  test.each([['sidecar', MeshMode.istioSidecar()], ['native sidecar', MeshMode.istioNativeSidecar()]])('Istio %s: metrics merging, plaintext on the agent\'s 15020, which STRICT mTLS does not cover', (_label, mesh) => {
    const { objects } = build({ mesh });
    expect(vllmPodAnnotations(objects)).toMatchObject({ 'prometheus.io/scrape': 'true', 'prometheus.io/port': '8000', 'prometheus.io/path': '/metrics' });
    const [endpoint] = find(objects, 'PodMonitor', 'chat-vllm').spec.podMetricsEndpoints;
    expect(endpoint).toMatchObject({ port: 'http', path: '/stats/prometheus', scheme: 'http', interval: '15s' });
    expect(endpoint.targetPort).toBeUndefined(); // deprecated, and it cannot reach an undeclared port
    // The pod as Istio injects it (the template declares 15090 on istio-proxy, never 15020):
    // exactly one target, on the agent's port, over IPv4 and IPv6 alike.
    const injected = (ip: string) => ({
      ip, containers: [...podSpec(find(objects, 'Deployment', 'chat-vllm')).containers, { name: 'istio-proxy', ports: [{ name: 'http-envoy-prom', containerPort: 15090 }] }],
    });
    expect(scrapeTargets(endpoint, injected('10.1.2.3'))).toEqual(['10.1.2.3:15020']);
    expect(scrapeTargets(endpoint, injected('fd00::7'))).toEqual(['[fd00::7]:15020']);
    // The PodMonitor as it was: the operator keeps no target on the undeclared 15020, so it scraped nothing.
    expect(scrapeTargets({ targetPort: 15020, path: '/stats/prometheus' }, injected('10.1.2.3'))).toEqual([]);
    expect(upstreamIngress(objects)).toContainEqual({ from: [fromMonitoring], ports: [{ port: 15020, protocol: 'TCP' }] });
    // No identity is added to vLLM's AuthorizationPolicy: the agent's port is outside it.
    const rules = find(objects, 'AuthorizationPolicy', 'chat-vllm').spec.rules;
    expect(JSON.stringify(rules)).not.toContain('prometheus');
  });

  test('Istio ambient: no agent in the pod, so Prometheus scrapes over the mesh and vLLM\'s policy admits its identity; the stack says so', () => {
    const { objects, stack } = build({ mesh: MeshMode.istioAmbient() }, { prometheusServiceAccount: 'prometheus', prometheusNamespace: 'monitoring' });
    expect(find(objects, 'PodMonitor', 'chat-vllm').spec.podMetricsEndpoints).toEqual([{ port: 'http', path: '/metrics', scheme: 'http', interval: '15s' }]);
    expect(find(objects, 'AuthorizationPolicy', 'chat-vllm').spec.rules).toContainEqual({
      from: [{ source: { principals: ['cluster.local/ns/monitoring/sa/prometheus'] } }], to: [{ operation: { ports: ['8000'] } }],
    });
    expect(upstreamIngress(objects)).toContainEqual({ from: [fromMonitoring], ports: [{ port: 8000, protocol: 'TCP' }, { port: 15008, protocol: 'TCP' }] });
    expect(stack.warnings.join('\n')).toMatch(/Prometheus scrapes vLLM over the mesh, so it must run in the mesh; vLLM admits ServiceAccount "prometheus" of namespace "monitoring"/);
  });

  test('Linkerd: the Server admits Prometheus\'s MeshTLSAuthentication beside h2oGPT\'s; probes keep their default authorization (no routes added)', () => {
    const { objects } = build({ mesh: MeshMode.linkerdSidecar() });
    expect(find(objects, 'MeshTLSAuthentication', 'chat-vllm-prometheus').spec).toEqual({
      identityRefs: [{ kind: 'ServiceAccount', name: 'prometheus-k8s', namespace: 'monitoring' }],
    });
    expect(find(objects, 'AuthorizationPolicy', 'chat-vllm-prometheus').spec).toEqual({
      targetRef: { group: 'policy.linkerd.io', kind: 'Server', name: 'chat-vllm' },
      requiredAuthenticationRefs: [{ group: 'policy.linkerd.io', kind: 'MeshTLSAuthentication', name: 'chat-vllm-prometheus' }],
    });
    expect(objects.filter((o) => o.kind === 'HTTPRoute')).toEqual([]);
  });

  test.each(allModeVariants().map((m) => [m.describe(), m] as const))('%s: every object validates, references resolve, and the pods can still start', (_label, mesh) => {
    const { objects, stack } = build({ mesh });
    expect(stack.monitoring.map((o) => o.kind)).toEqual(['PodMonitor', 'PrometheusRule', 'ConfigMap']);
    for (const o of objects) expect(schemaProblems(o)).toEqual([]);
    expect(crossObjectProblems(objects)).toEqual([]);
    // The scrape target is what the mesh's profile says; nothing else opened on vLLM.
    const scrapeRules = upstreamIngress(objects).filter((r: any) => r.from?.[0]?.namespaceSelector);
    expect(scrapeRules).toHaveLength(1);
  });
});

describe('alerts', () => {
  test('the six alerts, their thresholds from props, and readiness waiting out the model\'s load time', () => {
    const { objects } = build({ vllm: { model: 'm/m', startupProbeBudgetSeconds: 2400 } }, { waitingRequestsThreshold: 25, kvCacheUsagePercentThreshold: 80, timeToFirstTokenP95Milliseconds: 1500, selectorLabels: { release: 'kps' } });
    const rule = find(objects, 'PrometheusRule', 'chat');
    expect(rule.metadata.labels.release).toBe('kps');
    const rules = rule.spec.groups[0].rules;
    expect(rules.map((r: any) => r.alert)).toEqual(['VllmDown', 'VllmNotReady', 'H2oGptNotReady', 'VllmRequestsWaiting', 'VllmKvCacheHigh', 'VllmTimeToFirstTokenHigh']);
    const byName = Object.fromEntries(rules.map((r: any) => [r.alert, r]));
    expect(byName.VllmRequestsWaiting.expr).toBe('sum(vllm:num_requests_waiting{namespace="ai", pod=~"chat-vllm-[a-z0-9]+-[a-z0-9]+"}) > 25');
    expect(byName.VllmKvCacheHigh.expr).toBe('max(vllm:kv_cache_usage_perc{namespace="ai", pod=~"chat-vllm-[a-z0-9]+-[a-z0-9]+"}) * 100 > 80');
    expect(byName.VllmTimeToFirstTokenHigh.expr).toMatch(/^histogram_quantile\(0\.95, sum by \(le\) \(rate\(vllm:time_to_first_token_seconds_bucket\{.*\}\[5m\]\)\)\) > 1\.5$/);
    expect(byName.VllmNotReady).toMatchObject({ expr: 'kube_deployment_status_replicas_available{namespace="ai", deployment="chat-vllm"} < 1', for: '40m' });
    expect(byName.H2oGptNotReady.expr).toBe('kube_deployment_status_replicas_available{namespace="ai", deployment="chat"} < 1');
    for (const r of rules) expect(['critical', 'warning']).toContain(r.labels.severity);
    expect(queriedMetrics(JSON.stringify(rules)).filter((m) => !VLLM_METRICS.includes(m))).toEqual([]);
    expect(schemaProblems(rule)).toEqual([]);
  });

  test.each([
    [{ waitingRequestsThreshold: 0 }, /^Invalid monitoring\.waitingRequestsThreshold: 0\./],
    [{ kvCacheUsagePercentThreshold: 101 }, /^Invalid monitoring\.kvCacheUsagePercentThreshold: 101\./],
    [{ timeToFirstTokenP95Milliseconds: 1.5 }, /^Invalid monitoring\.timeToFirstTokenP95Milliseconds: 1\.5\./],
    [{ prometheusNamespace: 'Monitoring' }, /^Invalid monitoring\.prometheusNamespace: "Monitoring"\. Use a DNS-1123 label/],
    [{ selectorLabels: { 'bad key!': 'x' } }, /^Invalid monitoring\.selectorLabels\["bad key!"\]: "x"\. Use a Kubernetes label/],
    [{ dashboardLabel: 'a b' }, /^Invalid monitoring\.dashboardLabel: "a b"\./],
    [{ dashboard: 'yes' as any }, /^Invalid monitoring\.dashboard: "yes"\./],
  ])('%j is refused, naming the field', (monitoring, message) => {
    expect(() => build({}, monitoring as MonitoringOptions)).toThrow(message);
  });
});

describe('dashboard', () => {
  test('a ConfigMap the Grafana sidecar picks up, with throughput, TTFT, inter-token latency, queue and KV-cache panels on vLLM\'s real metric names', () => {
    const { objects } = build();
    const map = find(objects, 'ConfigMap', 'chat-dashboard');
    expect(map.metadata.labels.grafana_dashboard).toBe('1');
    const dashboard = JSON.parse(map.data['chat.json']);
    expect(dashboard.panels.map((p: any) => p.title)).toEqual(['Throughput (tokens/s)', 'Time to first token', 'Inter-token latency', 'Requests running and waiting', 'KV-cache usage']);
    expect(dashboard.templating.list[0]).toMatchObject({ name: 'datasource', type: 'datasource', query: 'prometheus' });
    const queried = queriedMetrics(map.data['chat.json']);
    expect(queried.filter((m) => !VLLM_METRICS.includes(m))).toEqual([]);
    expect(queried.sort()).toEqual([...VLLM_METRICS].sort());
    expect(schemaProblems(map)).toEqual([]);
  });

  test('dashboard: false leaves it out; no monitoring emits none of it and no scrape annotations', () => {
    expect(build({}, { dashboard: false }).objects.filter((o) => o.kind === 'ConfigMap' && o.metadata.name === 'chat-dashboard')).toEqual([]);
    const plain = build({ mesh: MeshMode.istioSidecar() }, null).objects;
    expect(plain.filter((o) => ['PodMonitor', 'PrometheusRule'].includes(o.kind))).toEqual([]);
    expect(vllmPodAnnotations(plain)['prometheus.io/scrape']).toBeUndefined();
    expect(upstreamIngress(plain).some((r: any) => r.from?.[0]?.namespaceSelector)).toBe(false);
  });
});

test('the PodMonitor names a port the vLLM container declares, on the pods its selector picks', () => {
  const { objects } = build();
  const monitor = find(objects, 'PodMonitor', 'chat-vllm');
  const vllm = find(objects, 'Deployment', 'chat-vllm');
  expect(podSpec(vllm).containers[0].ports.map((p: any) => p.name)).toContain(monitor.spec.podMetricsEndpoints[0].port);
  expect(vllm.spec.template.metadata.labels).toMatchObject(monitor.spec.selector.matchLabels);
});

test('vLLM admits Prometheus\'s pods, not every pod of its namespace; the label is a prop, and an empty one is refused (issue #23)', () => {
  const ingress = (monitoring: MonitoringOptions) => find(build({}, monitoring).objects, 'NetworkPolicy', 'chat-vllm').spec.ingress;
  const namespaceWide = (rules: any[]) => rules.filter((r) => r.from?.some((peer: any) => peer.namespaceSelector && !peer.podSelector));
  expect(namespaceWide(ingress({}))).toEqual([]);
  expect(ingress({ prometheusNamespace: 'linkerd-viz', prometheusPodLabels: { component: 'prometheus' } })).toContainEqual({
    from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'linkerd-viz' } }, podSelector: { matchLabels: { component: 'prometheus' } } }],
    ports: [{ port: 8000, protocol: 'TCP' }],
  });
  expect(() => build({}, { prometheusPodLabels: {} })).toThrow(/Invalid monitoring\.prometheusPodLabels: \{\}\. Name at least one label/);
  expect(() => build({}, { prometheusPodLabels: { 'a b': 'c' } })).toThrow(/Invalid monitoring\.prometheusPodLabels key: "a b"/);
});
