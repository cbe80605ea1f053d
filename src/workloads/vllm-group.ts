import { k8s } from 'cdk8s-plus-28';

// A multi-node vLLM server as a LeaderWorkerSet group: its names, labels and commands, as pure
// functions. Facts and sources: docs/group-facts.md.

/** Labels LWS puts on every pod of a group (kubernetes-sigs/lws v0.10.0; docs/group-facts.md §1). */
export const LWS_POD_LABELS = {
  /** The LeaderWorkerSet's name. */
  setName: 'leaderworkerset.sigs.k8s.io/name',
  /** The group's index, "0" to replicas - 1. */
  groupIndex: 'leaderworkerset.sigs.k8s.io/group-index',
  /** The pod's index in its group: "0" is the leader. */
  workerIndex: 'leaderworkerset.sigs.k8s.io/worker-index',
  /** A hash naming the group, the same on its leader and workers. */
  groupKey: 'leaderworkerset.sigs.k8s.io/group-key',
} as const;

/**
 * Spreads a group's pods across nodes, counting only the pod's own group (its group-key). Soft
 * (ScheduleAnyway): a pod that asks for a node's every GPU lands alone anyway, and smaller pods
 * may share a node rather than wait.
 */
export function groupSpread(setName: string): k8s.TopologySpreadConstraint[] {
  return [{
    maxSkew: 1,
    topologyKey: 'kubernetes.io/hostname',
    whenUnsatisfiable: 'ScheduleAnyway',
    labelSelector: { matchLabels: { [LWS_POD_LABELS.setName]: setName } },
    matchLabelKeys: [LWS_POD_LABELS.groupKey],
  }];
}

/**
 * The LeaderWorkerSet is `<server>-group`: LWS names its headless Service after it, and the
 * server's own Service keeps the server's name.
 */
export const GROUP_NAME_SUFFIX = '-group';

/**
 * Room in a server's name for a group: a worker pod is `<set>-<group>-<worker>`, and its
 * StatefulSet's revision label `<set>-<group>-<10-character hash>` must fit in a 63-character
 * label value, with up to three digits of group index.
 */
export const GROUP_NAME_ROOM = 63 - GROUP_NAME_SUFFIX.length - '-999-'.length - 10;

/** GPUs a node offers when not told otherwise: 8, as the usual GPU servers have (docs/sizing.md). */
export const DEFAULT_GPUS_PER_NODE = 8;

/** vLLM's multi-node script in its image (vllm docs/deployment/frameworks/lws.md, v0.11.0; docs/group-facts.md §3). */
export const MULTI_NODE_SCRIPT = '/vllm-workspace/examples/online_serving/multi-node-serving.sh';

/** The vLLM image's entrypoint, which a one-node pod runs with its arguments (vllm docker/Dockerfile, v0.11.0). */
export const VLLM_ENTRYPOINT = ['python3', '-m', 'vllm.entrypoints.openai.api_server'];

/**
 * The leader: starts Ray's head and waits in vLLM's script until the group's every node has
 * joined (up to 300 s; then vLLM's own wait for the GPUs takes over, as vLLM's LWS example chains
 * them with ";"), then runs the image's entrypoint with a one-node pod's arguments. They are
 * positional parameters, never parsed by the shell; LWS_GROUP_SIZE comes from LWS.
 */
export function groupLeaderCommand(serverArgs: string[]): string[] {
  return ['sh', '-c', `bash ${MULTI_NODE_SCRIPT} leader --ray_cluster_size="$LWS_GROUP_SIZE"; exec ${VLLM_ENTRYPOINT.join(' ')} "$@"`, 'vllm-leader', ...serverArgs];
}

/**
 * A worker: joins the leader's Ray cluster at LWS_LEADER_ADDRESS, retrying every 5 s for up to
 * 300 s (then it exits and LWS recreates the group), and stays.
 */
export function groupWorkerCommand(): string[] {
  return ['sh', '-c', `exec bash ${MULTI_NODE_SCRIPT} worker --ray_address="$LWS_LEADER_ADDRESS"`];
}
