import { k8s } from 'cdk8s-plus-28';
import { checkInteger } from '../common/checks';

// Pod Security Standards "restricted" (kubernetes.io/docs/concepts/security/pod-security-standards)
// plus the hardening every container here gets. Internal: the workloads build their pods from it.

/** The non-root identity a pod runs as. */
export interface PodIdentity {
  readonly uid: number;
  readonly gid: number;
}

/** Checks a UID or GID prop: a whole number above 0, because 0 is root. */
export function checkNonRootId(field: string, value: number): number {
  return checkInteger(field, value, 1, 2147483647, 'a non-root UID or GID');
}

/**
 * Pod-level context for "restricted": non-root with explicit IDs, the runtime's default seccomp
 * profile, and fsGroup so mounted volumes (the model cache, the save dir) are writable by that GID.
 * OnRootMismatch skips the recursive chown of a large claim once its root already matches.
 */
export function restrictedPodSecurityContext(identity: PodIdentity): k8s.PodSecurityContext {
  return {
    runAsNonRoot: true,
    runAsUser: identity.uid,
    runAsGroup: identity.gid,
    fsGroup: identity.gid,
    fsGroupChangePolicy: 'OnRootMismatch',
    seccompProfile: { type: 'RuntimeDefault' },
  };
}

/** Pod-level context for the documented root opt-out: still the default seccomp profile. */
export function rootPodSecurityContext(): k8s.PodSecurityContext {
  return { runAsNonRoot: false, runAsUser: 0, runAsGroup: 0, seccompProfile: { type: 'RuntimeDefault' } };
}

/**
 * Container-level hardening: non-root (repeated from the pod, as scanners read it per container),
 * no privilege escalation, no capabilities, and a read-only root file system, so every path the
 * program writes must be a declared mount. `root` is the documented opt-out of the first and last.
 */
export function hardenedContainerSecurityContext(options: { root?: boolean; runAsUser?: number } = {}): k8s.SecurityContext {
  return {
    ...(options.runAsUser !== undefined ? { runAsUser: options.runAsUser } : {}),
    ...(options.root ? {} : { runAsNonRoot: true }),
    allowPrivilegeEscalation: false,
    capabilities: { drop: ['ALL'] },
    readOnlyRootFilesystem: !options.root,
  };
}

/** A size-limited emptyDir for a path the program writes. */
export function scratchVolume(name: string, sizeLimit: string, medium?: 'Memory'): k8s.Volume {
  return { name, emptyDir: { medium, sizeLimit: k8s.Quantity.fromString(sizeLimit) } };
}
