import { ApiObject } from 'cdk8s';
import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { checkBoolean, checkDnsLabel, checkDnsSubdomain, checkInteger, checkLabels } from '../common/checks';
import { ConfigurationError } from '../common/errors';
import { MeshMode, profileOf } from '../mesh/mesh-mode';
import { MetricsScrape } from '../mesh/mesh-profiles';
import { vllmDashboard } from './dashboard';
import { MonitoredStack, MonitoredVllm, ResolvedMonitoring } from './monitored-stack';
import { vllmAlertRules } from './alert-rules';

/** What to watch and when to alert; `H2oGptStack`'s `monitoring` prop. */
export interface MonitoringOptions {
  /**
   * Namespace Prometheus runs in: vLLM's NetworkPolicy admits scrapes from it.
   * @default "monitoring"
   */
  readonly prometheusNamespace?: string;
  /**
   * Prometheus's ServiceAccount: its mesh identity, which vLLM's mesh policy admits where the
   * scrape goes over the mesh (Istio ambient, Linkerd). Prometheus must then be in the mesh.
   * @default "prometheus-k8s" (kube-prometheus)
   */
  readonly prometheusServiceAccount?: string;
  /**
   * Labels of Prometheus's pods: vLLM's NetworkPolicy admits those pods of `prometheusNamespace`
   * only, not the whole namespace (vLLM's `/invocations` and `/metrics` need no key).
   * @default { "app.kubernetes.io/name": "prometheus" } (what prometheus-operator puts on every Prometheus pod)
   */
  readonly prometheusPodLabels?: { [key: string]: string };
  /**
   * Labels on the PodMonitor and PrometheusRule, for a Prometheus that selects them by label
   * (kube-prometheus-stack: `release: <release name>`).
   * @default none
   */
  readonly selectorLabels?: { [key: string]: string };
  /**
   * Alert when more requests than this wait in vLLM's queue (`vllm:num_requests_waiting`) for 5 minutes.
   * @default 10
   */
  readonly waitingRequestsThreshold?: number;
  /**
   * Alert when KV-cache usage (`vllm:kv_cache_usage_perc`, 0-100 here) stays above this percentage for 10 minutes.
   * @default 90
   */
  readonly kvCacheUsagePercentThreshold?: number;
  /**
   * Alert when the 95th percentile time to first token over 5 minutes passes this many milliseconds.
   * @default 5000
   */
  readonly timeToFirstTokenP95Milliseconds?: number;
  /**
   * Emit a Grafana dashboard as a ConfigMap for the Grafana sidecar.
   * @default true
   */
  readonly dashboard?: boolean;
  /**
   * The label the Grafana sidecar picks dashboards up by (kube-prometheus-stack's default).
   * @default "grafana_dashboard"
   */
  readonly dashboardLabel?: string;
}

export function resolveMonitoring(options: MonitoringOptions): ResolvedMonitoring {
  if (options === null || typeof options !== 'object') {
    throw new ConfigurationError('monitoring', options, 'Give the monitoring options as a mapping, e.g. monitoring: {} for the defaults.');
  }
  const labels = options.selectorLabels ?? {};
  for (const [key, value] of Object.entries(labels)) {
    if (!/^([a-z0-9]([-a-z0-9.]*[a-z0-9])?\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/.test(key) || typeof value !== 'string' || !/^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$/.test(value)) {
      throw new ConfigurationError(`monitoring.selectorLabels["${key}"]`, value, 'Use a Kubernetes label: a key such as "release" and a value of at most 63 letters, digits, \'-\', \'_\' or \'.\'.');
    }
  }
  const dashboardLabel = options.dashboardLabel ?? 'grafana_dashboard';
  if (!/^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/.test(dashboardLabel)) {
    throw new ConfigurationError('monitoring.dashboardLabel', dashboardLabel, 'Use a label key, e.g. "grafana_dashboard".');
  }
  return {
    prometheusNamespace: checkDnsLabel('monitoring.prometheusNamespace', options.prometheusNamespace ?? 'monitoring'),
    prometheusServiceAccount: checkDnsSubdomain('monitoring.prometheusServiceAccount', options.prometheusServiceAccount ?? 'prometheus-k8s'),
    prometheusPodLabels: prometheusPodLabels(options.prometheusPodLabels),
    selectorLabels: labels,
    waitingRequestsThreshold: checkInteger('monitoring.waitingRequestsThreshold', options.waitingRequestsThreshold ?? 10, 1, 1_000_000, 'requests'),
    kvCacheUsagePercentThreshold: checkInteger('monitoring.kvCacheUsagePercentThreshold', options.kvCacheUsagePercentThreshold ?? 90, 1, 100, 'percent'),
    timeToFirstTokenP95Milliseconds: checkInteger('monitoring.timeToFirstTokenP95Milliseconds', options.timeToFirstTokenP95Milliseconds ?? 5000, 1, 3_600_000, 'milliseconds'),
    dashboard: checkBoolean('monitoring.dashboard', options.dashboard, true),
    dashboardLabel,
  };
}

/**
 * prometheus-operator labels every Prometheus pod `app.kubernetes.io/name: prometheus`
 * (pkg/prometheus/server/statefulset.go, podSelectorLabels, commit cec79725).
 */
const OPERATOR_PROMETHEUS_POD_LABELS = { 'app.kubernetes.io/name': 'prometheus' };

function prometheusPodLabels(labels: { [key: string]: string } | undefined): { [key: string]: string } {
  if (labels === undefined) return OPERATOR_PROMETHEUS_POD_LABELS;
  checkLabels('monitoring.prometheusPodLabels', labels);
  if (Object.keys(labels).length === 0) {
    throw new ConfigurationError('monitoring.prometheusPodLabels', labels, 'Name at least one label of Prometheus\'s pods: an empty selector would admit every pod of its namespace.');
  }
  return labels;
}

/** How Prometheus reaches vLLM's metrics in `mesh`: directly without a mesh, else the mesh's way. */
export function metricsScrapeOf(mesh: MeshMode): MetricsScrape | { readonly method: 'direct' } {
  const profile = profileOf(mesh);
  if (!profile) return { method: 'direct' };
  const scrape = profile.metricsScrape[mesh.dataplane];
  if (!scrape) throw new Error(`internal: ${profile.displayName} has no metrics scrape for ${mesh.dataplane}`);
  return scrape;
}

/** Relabelings that send a target to `port` on its pod's IP (IPv4, or IPv6 in brackets). */
function addressOnPort(port: number): object[] {
  return [
    { sourceLabels: ['__meta_kubernetes_pod_ip'], regex: '(\\d+\\.\\d+\\.\\d+\\.\\d+)', targetLabel: '__address__', replacement: `$1:${port}`, action: 'replace' },
    { sourceLabels: ['__meta_kubernetes_pod_ip'], regex: '([0-9A-Fa-f]*:[0-9A-Fa-f:.]*)', targetLabel: '__address__', replacement: `[$1]:${port}`, action: 'replace' },
  ];
}

/** A PodMonitor per vLLM server, and the stack's PrometheusRule and dashboard ConfigMap. */
export function stackMonitoring(scope: Construct, mesh: MeshMode, stack: MonitoredStack, options: ResolvedMonitoring): ApiObject[] {
  const scrape = metricsScrapeOf(mesh);
  const labels = { ...options.selectorLabels, ...stack.labels };
  const endpoint = (server: MonitoredVllm) => (scrape.method === 'merged'
    // The agent's port is no declared container port of the injected pod, and prometheus-operator
    // keeps a target only on a declared port (docs/mesh-facts.md §10). So: keep vLLM's own declared
    // port, one target per pod, and point its address at the agent's port, whose path serves
    // vLLM's metrics merged with Envoy's.
    ? { port: server.portName, path: scrape.path, scheme: 'http', relabelings: addressOnPort(scrape.port) }
    : { port: server.portName, path: '/metrics', scheme: 'http' });
  const objects: ApiObject[] = [
    ...stack.vllm.map((server, i) => new ApiObject(scope, i === 0 ? 'pod-monitor' : `pod-monitor-${server.name}`, {
      apiVersion: 'monitoring.coreos.com/v1',
      kind: 'PodMonitor',
      metadata: { name: server.name, namespace: stack.namespace, labels },
      spec: {
        selector: { matchLabels: server.selector },
        podMetricsEndpoints: [{ ...endpoint(server), interval: '15s' }],
      },
    })),
    new ApiObject(scope, 'prometheus-rule', {
      apiVersion: 'monitoring.coreos.com/v1',
      kind: 'PrometheusRule',
      metadata: { name: stack.name, namespace: stack.namespace, labels },
      spec: { groups: vllmAlertRules(stack, options) },
    }),
  ];
  if (options.dashboard) {
    objects.push(new k8s.KubeConfigMap(scope, 'dashboard', {
      metadata: { name: `${stack.name}-dashboard`, namespace: stack.namespace, labels: { ...stack.labels, [options.dashboardLabel]: '1' } },
      data: { [`${stack.name}.json`]: JSON.stringify(vllmDashboard(stack), null, 2) },
    }));
  }
  return objects;
}
