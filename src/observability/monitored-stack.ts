// What the monitoring objects (PodMonitor, alert rules, dashboard) are made from: shared by
// monitoring.ts and the builders it calls, so that none of them imports another back.

/** The monitoring options with their defaults, checked. Internal. */
export interface ResolvedMonitoring {
  readonly prometheusNamespace: string;
  readonly prometheusServiceAccount: string;
  readonly prometheusPodLabels: { [key: string]: string };
  readonly selectorLabels: { [key: string]: string };
  readonly waitingRequestsThreshold: number;
  readonly kvCacheUsagePercentThreshold: number;
  readonly timeToFirstTokenP95Milliseconds: number;
  readonly dashboard: boolean;
  readonly dashboardLabel: string;
}

/** One vLLM server as monitoring sees it. Internal. */
export interface MonitoredVllm {
  readonly name: string;
  readonly selector: { [key: string]: string };
  readonly portName: string;
  readonly port: number;
  /** How long its model may take to load. */
  readonly startupBudgetSeconds: number;
  /** A multi-node server's LeaderWorkerSet: its leaders are the StatefulSet of that name, pods `<set>-<group>`. */
  readonly group?: string;
}

/** The workloads monitoring watches. Internal. */
export interface MonitoredStack {
  readonly name: string;
  readonly namespace?: string;
  readonly labels: { [key: string]: string };
  /** Every vLLM server of the stack, the first one first. */
  readonly vllm: MonitoredVllm[];
  readonly h2ogpt: { readonly name: string };
}
