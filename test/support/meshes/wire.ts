import { Dataplane, Mesh, MtlsMode } from '../../../src/internal';

// What the kernel harness (test/support/kernel-harness.ts) installs for a mesh: its iptables
// rules and its wire between two pods. Each mesh is one file beside this one, with the upstream
// source of every rule; the harness asks `meshWire` and never tests for a mesh by name.

/** The mode a startup is replayed under. */
export interface ReplayMode {
  readonly mesh: Mesh;
  readonly dataplane: Dataplane;
  readonly cni?: boolean;
  readonly mtls: MtlsMode;
}

/** One nat-table rule, as iptables' arguments. */
export type NatRule = string[];
export const nat = (...rule: string[]): NatRule => rule;

/**
 * The mesh's wire between the two pods (docs/mesh-facts.md §2a): what the client proxy listens on
 * and dials, and what the server pod's inbound capture does with what arrives.
 */
export interface Wire {
  /** The client proxy: its port, the UID it runs as (none: ztunnel, outside the pod), what it dials (0: the original port), its mark. */
  readonly proxy?: { readonly listen: number; readonly uid?: number; readonly dial: number; readonly mark?: string };
  /** The server pod's inbound proxy ports and capture rules. */
  readonly inboundPorts: number[];
  readonly inboundCapture: NatRule[];
}

/** What a mesh does to one pod, read from the pod's own labels and annotations as the mesh reads them. */
export interface PodCapture {
  readonly outbound: NatRule[];
  readonly inbound: NatRule[];
  /** The outbound proxy stand-in, when the pod has one. */
  readonly proxy?: Wire['proxy'];
  /** The pod's inbound proxy ports. */
  readonly inboundPorts: number[];
}

/** A pod that the mesh leaves alone. */
export const UNCAPTURED: PodCapture = { outbound: [], inbound: [], inboundPorts: [] };

/** One mesh's rules and wire, for a mode of that mesh. */
export interface MeshWire {
  /** The iptables rules the mesh installs for the pod's outbound traffic, with the pod's exclusions. */
  outboundCapture(mode: ReplayMode, annotations: Record<string, string>): NatRule[];
  wire(mode: ReplayMode): Wire;
  /**
   * Everything the mesh does to a pod of this metadata: whether it is meshed at all, and which
   * ports its capture takes, inbound and outbound (test/support/group-harness.ts).
   */
  podCapture(mode: ReplayMode, metadata: { readonly labels: Record<string, string>; readonly annotations: Record<string, string> }): PodCapture;
}
