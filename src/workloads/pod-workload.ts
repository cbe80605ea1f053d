/**
 * What policies see of a workload this app deploys: its pods' labels and its mesh identity.
 * `TrafficPolicy` fences any workload that has these, not only the library's own classes.
 */
export interface IPodWorkload {
  /** Name of its Deployment and Service. */
  readonly name: string;
  /** Namespace, if known at synthesis. */
  readonly namespace?: string;
  /** Labels on its objects. */
  readonly labels: { [key: string]: string };
  /** Labels that select its pods. */
  readonly selectorLabels: { [key: string]: string };
  /** Its pods' ServiceAccount: their mesh identity. */
  readonly serviceAccountName: string;
}

/** A multi-node server's groups, as its policies fence them. */
export interface ServingGroup {
  /** The LeaderWorkerSet's name; LWS labels each pod with it and with its group's index. */
  readonly name: string;
  /** Pods per group: a leader and its workers. */
  readonly size: number;
  /** The most groups there may be (the replica count, or an autoscaler's maximum): a NetworkPolicy is written for each. */
  readonly maxGroups: number;
  /** Whether the mesh carries the group's own traffic, so its policy admits the group's identity on every port. */
  readonly meshCarried: boolean;
}

/** A vLLM server this app deploys, as `TrafficPolicy` fences it (`VllmServer` is one). */
export interface IVllmWorkload extends IPodWorkload {
  /** The port its Service and container serve on. */
  readonly port: number;
  /** Whether it runs without the Hugging Face Hub, so needs no egress to it. */
  readonly offline: boolean;
  /**
   * Labels of the pods that serve the API, where not every pod does (a group's leaders).
   * @default selectorLabels
   */
  readonly servingSelectorLabels?: { [key: string]: string };
  /**
   * Its groups, when it is served by several nodes: each group's pods may reach each other, on
   * any port, and nothing else may.
   * @default one pod per replica, no group
   */
  readonly group?: ServingGroup;
}

/** An h2oGPT this app deploys, as `TrafficPolicy` fences it (`H2oGpt` is one). */
export interface IH2oGptWorkload extends IPodWorkload {
  /** The port the UI listens on in the container. */
  readonly uiContainerPort: number;
  /** The OpenAI-compatible API's port, when it serves one. */
  readonly openAiApiPort?: number;
}
