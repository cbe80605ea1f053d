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

/** A vLLM server this app deploys, as `TrafficPolicy` fences it (`VllmServer` is one). */
export interface IVllmWorkload extends IPodWorkload {
  /** The port its Service and container serve on. */
  readonly port: number;
  /** Whether it runs without the Hugging Face Hub, so needs no egress to it. */
  readonly offline: boolean;
}

/** An h2oGPT this app deploys, as `TrafficPolicy` fences it (`H2oGpt` is one). */
export interface IH2oGptWorkload extends IPodWorkload {
  /** The port the UI listens on in the container. */
  readonly uiContainerPort: number;
  /** The OpenAI-compatible API's port, when it serves one. */
  readonly openAiApiPort?: number;
}
