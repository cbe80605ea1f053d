import type { MonitoredStack, MonitoredVllm, ResolvedMonitoring } from './monitored-stack';

// Alerts on vLLM's own metrics (names as vllm/v1/metrics/loggers.py exports them for the pinned
// v0.11: vllm:num_requests_waiting, vllm:kv_cache_usage_perc, vllm:time_to_first_token_seconds)
// and on kube-state-metrics for readiness.

/**
 * The PromQL selector of these vLLM servers' series, by pod name: a Deployment's pods are
 * `<name>-<hash>-<hash>`, a group's leaders `<set>-<group index>` (LWS's leader StatefulSet, docs/group-facts.md §1),
 * and the match is anchored, so `chat-vllm` never matches `chat-vllm-coder`'s.
 */
export function vllmSeriesSelector(namespace: string | undefined, servers: MonitoredVllm[]): string {
  const ns = namespace ? `namespace="${namespace}", ` : '';
  if (servers.some((s) => s.group !== undefined)) {
    const patterns = servers.map((s) => (s.group !== undefined ? `${s.group}-[0-9]+` : `${s.name}-[a-z0-9]+-[a-z0-9]+`));
    return `{${ns}pod=~"${patterns.length === 1 ? patterns[0] : `(${patterns.join('|')})`}"}`;
  }
  const names = servers.length === 1 ? servers[0].name : `(${servers.map((s) => s.name).join('|')})`;
  return `{${ns}pod=~"${names}-[a-z0-9]+-[a-z0-9]+"}`;
}

const deploymentSelector = (stack: MonitoredStack, name: string) => `{${stack.namespace ? `namespace="${stack.namespace}", ` : ''}deployment="${name}"}`;

/** Ready serving replicas: a Deployment's available pods, or a group's ready leaders (kube-state-metrics knows no LeaderWorkerSet). */
const readyReplicas = (stack: MonitoredStack, server: MonitoredVllm) => (server.group !== undefined
  ? `kube_statefulset_status_replicas_ready{${stack.namespace ? `namespace="${stack.namespace}", ` : ''}statefulset="${server.group}"}`
  : `kube_deployment_status_replicas_available${deploymentSelector(stack, server.name)}`);

/**
 * The stack's PrometheusRule groups: one per vLLM server, the first also watching h2oGPT. Each
 * alert carries its vLLM Deployment's name, so two servers' alerts never merge in Alertmanager.
 * Internal.
 */
export function vllmAlertRules(stack: MonitoredStack, options: ResolvedMonitoring): object[] {
  return stack.vllm.map((server, i) => serverAlertRules(stack, server, i === 0, options));
}

function serverAlertRules(stack: MonitoredStack, server: MonitoredVllm, first: boolean, options: ResolvedMonitoring): object {
  const series = vllmSeriesSelector(stack.namespace, [server]);
  const labels = (severity: string) => ({ severity, 'app.kubernetes.io/instance': stack.name, 'deployment': server.name });
  // A model can take this long to load: readiness alerts wait it out, so a deploy does not page.
  const loadMinutes = Math.max(10, Math.ceil(server.startupBudgetSeconds / 60));
  // The first server keeps the texts it had as the only one; the others are named.
  const vllmOf = first ? `vLLM of ${stack.name}` : `vLLM ${server.name} of ${stack.name}`;
  const h2ogptRules = [{
    alert: 'H2oGptNotReady',
    expr: `kube_deployment_status_replicas_available${deploymentSelector(stack, stack.h2ogpt.name)} < 1`,
    for: '10m',
    labels: { severity: 'critical', 'app.kubernetes.io/instance': stack.name, 'deployment': stack.h2ogpt.name },
    annotations: { summary: `h2oGPT of ${stack.name} has no ready replica`, description: `${stack.h2ogpt.name} has had no available replica for 10 minutes: users cannot reach the UI.` },
  }];
  return {
    name: `${first ? stack.name : server.name}.rules`,
    rules: [
      {
        alert: 'VllmDown',
        expr: `absent(vllm:num_requests_running${series})`,
        for: '5m',
        labels: labels('critical'),
        annotations: { summary: `${vllmOf} exports no metrics`, description: `No vllm:num_requests_running series from ${server.name} for 5 minutes: vLLM is down, or Prometheus cannot scrape it.` },
      },
      {
        alert: 'VllmNotReady',
        expr: `${readyReplicas(stack, server)} < 1`,
        for: `${loadMinutes}m`,
        labels: labels('critical'),
        annotations: { summary: `${vllmOf} has no ready replica`, description: `${server.name} has had no available replica for ${loadMinutes} minutes, longer than its model may take to load.` },
      },
      ...(first ? h2ogptRules : []),
      {
        alert: 'VllmRequestsWaiting',
        expr: `sum(vllm:num_requests_waiting${series}) > ${options.waitingRequestsThreshold}`,
        for: '5m',
        labels: labels('warning'),
        annotations: { summary: `${vllmOf} is queueing requests`, description: `More than ${options.waitingRequestsThreshold} requests have waited in vLLM's queue for 5 minutes: add replicas or GPUs.` },
      },
      {
        alert: 'VllmKvCacheHigh',
        expr: `max(vllm:kv_cache_usage_perc${series}) * 100 > ${options.kvCacheUsagePercentThreshold}`,
        for: '10m',
        labels: labels('warning'),
        annotations: { summary: `${vllmOf} is running out of KV cache`, description: `KV-cache usage has stayed above ${options.kvCacheUsagePercentThreshold}% for 10 minutes: requests are preempted or queued.` },
      },
      {
        alert: 'VllmTimeToFirstTokenHigh',
        expr: `histogram_quantile(0.95, sum by (le) (rate(vllm:time_to_first_token_seconds_bucket${series}[5m]))) > ${options.timeToFirstTokenP95Milliseconds / 1000}`,
        for: '10m',
        labels: labels('warning'),
        annotations: { summary: `${vllmOf} is slow to answer`, description: `The 95th percentile time to first token has been above ${options.timeToFirstTokenP95Milliseconds} ms for 10 minutes.` },
      },
    ],
  };
}
