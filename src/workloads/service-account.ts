import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';

/**
 * A workload's own ServiceAccount. It is the pod's mesh identity (Istio principal, Linkerd
 * MeshTLSAuthentication), so each workload gets one rather than sharing `default`. Neither
 * program calls the Kubernetes API, so no token is mounted; the mesh proxies project their own.
 */
export function workloadServiceAccount(scope: Construct, metadata: k8s.ObjectMeta): k8s.KubeServiceAccount {
  return new k8s.KubeServiceAccount(scope, 'service-account', {
    metadata,
    automountServiceAccountToken: false,
  });
}
