import type { MonitoredStack, ResolvedMonitoring } from './monitoring';

// Alerts on vLLM's own metrics (names as vllm/v1/metrics/loggers.py exports them for the pinned
// v0.11: vllm:num_requests_waiting, vllm:kv_cache_usage_perc, vllm:time_to_first_token_seconds)
// and on kube-state-metrics for readiness.

/** The PromQL selector of this stack's vLLM series. */
export function vllmSeriesSelector(stack: MonitoredStack): string {
  return `{${stack.namespace ? `namespace="${stack.namespace}", ` : ''}pod=~"${stack.vllm.name}-[a-z0-9]+-[a-z0-9]+"}`;
}

const deploymentSelector = (stack: MonitoredStack, name: string) => `{${stack.namespace ? `namespace="${stack.namespace}", ` : ''}deployment="${name}"}`;

/** One PrometheusRule group with the stack's alerts. Internal. */
export function vllmAlertRules(stack: MonitoredStack, options: ResolvedMonitoring): object {
  const series = vllmSeriesSelector(stack);
  const labels = (severity: string) => ({ severity, 'app.kubernetes.io/instance': stack.name });
  // A model can take this long to load: readiness alerts wait it out, so a deploy does not page.
  const loadMinutes = Math.max(10, Math.ceil(stack.vllm.startupBudgetSeconds / 60));
  return {
    name: `${stack.name}.rules`,
    rules: [
      {
        alert: 'VllmDown',
        expr: `absent(vllm:num_requests_running${series})`,
        for: '5m',
        labels: labels('critical'),
        annotations: { summary: `vLLM of ${stack.name} exports no metrics`, description: `No vllm:num_requests_running series from ${stack.vllm.name} for 5 minutes: vLLM is down, or Prometheus cannot scrape it.` },
      },
      {
        alert: 'VllmNotReady',
        expr: `kube_deployment_status_replicas_available${deploymentSelector(stack, stack.vllm.name)} < 1`,
        for: `${loadMinutes}m`,
        labels: labels('critical'),
        annotations: { summary: `vLLM of ${stack.name} has no ready replica`, description: `${stack.vllm.name} has had no available replica for ${loadMinutes} minutes, longer than its model may take to load.` },
      },
      {
        alert: 'H2oGptNotReady',
        expr: `kube_deployment_status_replicas_available${deploymentSelector(stack, stack.h2ogpt.name)} < 1`,
        for: '10m',
        labels: labels('critical'),
        annotations: { summary: `h2oGPT of ${stack.name} has no ready replica`, description: `${stack.h2ogpt.name} has had no available replica for 10 minutes: users cannot reach the UI.` },
      },
      {
        alert: 'VllmRequestsWaiting',
        expr: `sum(vllm:num_requests_waiting${series}) > ${options.waitingRequestsThreshold}`,
        for: '5m',
        labels: labels('warning'),
        annotations: { summary: `vLLM of ${stack.name} is queueing requests`, description: `More than ${options.waitingRequestsThreshold} requests have waited in vLLM's queue for 5 minutes: add replicas or GPUs.` },
      },
      {
        alert: 'VllmKvCacheHigh',
        expr: `max(vllm:kv_cache_usage_perc${series}) * 100 > ${options.kvCacheUsagePercentThreshold}`,
        for: '10m',
        labels: labels('warning'),
        annotations: { summary: `vLLM of ${stack.name} is running out of KV cache`, description: `KV-cache usage has stayed above ${options.kvCacheUsagePercentThreshold}% for 10 minutes: requests are preempted or queued.` },
      },
      {
        alert: 'VllmTimeToFirstTokenHigh',
        expr: `histogram_quantile(0.95, sum by (le) (rate(vllm:time_to_first_token_seconds_bucket${series}[5m]))) > ${options.timeToFirstTokenP95Milliseconds / 1000}`,
        for: '10m',
        labels: labels('warning'),
        annotations: { summary: `vLLM of ${stack.name} is slow to answer`, description: `The 95th percentile time to first token has been above ${options.timeToFirstTokenP95Milliseconds} ms for 10 minutes.` },
      },
    ],
  };
}
