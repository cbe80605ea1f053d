import { vllmSeriesSelector } from './alert-rules';
import type { MonitoredStack } from './monitored-stack';

// A Grafana dashboard (schema 39) of the main vLLM panels: throughput, time to first token,
// inter-token latency (vllm:inter_token_latency_seconds: v0.11 deprecates time_per_output_token,
// hides it in v0.12 and drops it in v0.13; docs/app-facts.md §3), queue and KV cache. The data
// source is a variable, so it works with whatever Prometheus data source Grafana has. With more
// than one server, each series is split by vLLM's model_name label, so models are never summed.

/** The dashboard JSON. Internal. */
export function vllmDashboard(stack: MonitoredStack): object {
  const s = vllmSeriesSelector(stack.namespace, stack.vllm);
  const perModel = stack.vllm.length > 1;
  const sum = perModel ? 'sum by (model_name)' : 'sum';
  const legend = (what: string) => (perModel ? `{{model_name}} ${what}` : what);
  const quantiles = (metric: string) => [0.5, 0.95].map((q, i) => ({
    refId: String.fromCharCode(65 + i),
    expr: `histogram_quantile(${q}, sum by (${perModel ? 'model_name, ' : ''}le) (rate(${metric}_bucket${s}[5m])))`,
    legendFormat: legend(`p${q * 100}`),
  }));
  const panels: Array<{ title: string; unit: string; targets: object[] }> = [
    {
      title: 'Throughput (tokens/s)', unit: 'short', targets: [
        { refId: 'A', expr: `${sum}(rate(vllm:generation_tokens_total${s}[5m]))`, legendFormat: legend('generated') },
        { refId: 'B', expr: `${sum}(rate(vllm:prompt_tokens_total${s}[5m]))`, legendFormat: legend('prompt') },
      ],
    },
    { title: 'Time to first token', unit: 's', targets: quantiles('vllm:time_to_first_token_seconds') },
    { title: 'Inter-token latency', unit: 's', targets: quantiles('vllm:inter_token_latency_seconds') },
    {
      title: 'Requests running and waiting', unit: 'short', targets: [
        { refId: 'A', expr: `${sum}(vllm:num_requests_running${s})`, legendFormat: legend('running') },
        { refId: 'B', expr: `${sum}(vllm:num_requests_waiting${s})`, legendFormat: legend('waiting') },
      ],
    },
    { title: 'KV-cache usage', unit: 'percentunit', targets: [{ refId: 'A', expr: `max by (pod) (vllm:kv_cache_usage_perc${s})`, legendFormat: '{{pod}}' }] },
  ];
  return {
    title: `vLLM: ${stack.name}${stack.namespace ? ` (${stack.namespace})` : ''}`,
    uid: `vllm-${stack.namespace ? `${stack.namespace}-` : ''}${stack.name}`.slice(0, 40),
    schemaVersion: 39,
    version: 1,
    editable: true,
    time: { from: 'now-6h', to: 'now' },
    refresh: '30s',
    tags: ['vllm', 'h2ogpt', 'cdk8s-h2ogpt'],
    templating: { list: [{ name: 'datasource', label: 'Data source', type: 'datasource', query: 'prometheus' }] },
    panels: panels.map((p, i) => ({
      id: i + 1,
      type: 'timeseries',
      title: p.title,
      datasource: { type: 'prometheus', uid: '${datasource}' },
      gridPos: { h: 8, w: 12, x: (i % 2) * 12, y: Math.floor(i / 2) * 8 },
      fieldConfig: { defaults: { unit: p.unit }, overrides: [] },
      targets: p.targets.map((t) => ({ ...t, datasource: { type: 'prometheus', uid: '${datasource}' } })),
    })),
  };
}
