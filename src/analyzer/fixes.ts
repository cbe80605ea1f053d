import { MeshMode, profileOf } from '../mesh/mesh-mode';
import { Verdict } from '../mesh/capture-rules';

/** What to do about a failing init container: the safe ways out, for the mode in use. */
export function fixFor(finding: { readonly name: string; readonly verdict: Verdict }, mesh: MeshMode): string {
  const profile = profileOf(mesh);
  const proxy = profile?.proxyContainerName ?? 'the proxy';
  const hold = profile?.holdUntilProxyReady.key ?? 'a hold-until-proxy setting';
  const common = `move the wait into the app container, after ${proxy} is ready (${hold}), with a deadline and backoff`
    + ' (cdk8s-h2ogpt\'s in-app-wait), or use native sidecars (Kubernetes >= 1.29) or ambient, where init containers are meshed';
  if (finding.verdict === Verdict.DEADLOCK) {
    const uid = profile ? `; only if mTLS is permissive: run it as the proxy UID ${profile.proxyUid} or exclude its port (${profile.excludeOutboundPortsAnnotation})` : '';
    return `Init container "${finding.name}" can never reach its upstream: ${common}${uid}.`;
  }
  if (finding.verdict === Verdict.FAILS) {
    return `Init container "${finding.name}" talks plaintext to a STRICT-mTLS upstream: ${common}; or make the upstream's mTLS permissive.`;
  }
  return `Init container "${finding.name}": add retries with a deadline, or move the wait into the app container.`;
}

/** The rule a failing verdict breaks, for reports. */
export function ruleName(verdict: string): string {
  return verdict === Verdict.DEADLOCK ? 'init-container-deadlock' : 'init-container-plaintext-rejected';
}
