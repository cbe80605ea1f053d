import { MeshMode, MtlsMode } from '../mesh/mesh-mode';
import { Dataplane } from '../mesh/mesh-profiles';
import { RefusalCode } from '../common/startup-strategy';
import { autoStrategy, DEFAULT_KUBERNETES_VERSION, evaluateStrategy, parseKubernetesMinor, StartupContext } from './decide';
import { CONCRETE_STRATEGIES } from '../common/startup-strategy';

/** Every mode variant the decision table covers: each mesh mode, CNI on and off, each mTLS setting. */
export function allModeVariants(): MeshMode[] {
  const modes: MeshMode[] = [MeshMode.none()];
  for (const name of MeshMode.names().filter((n) => n !== 'none')) {
    for (const mtls of [MtlsMode.STRICT, MtlsMode.PERMISSIVE]) {
      const sidecar = MeshMode.fromName(name, { mtls }).dataplane === Dataplane.SIDECAR;
      if (!sidecar) modes.push(MeshMode.fromName(name, { mtls }));
      else for (const cni of [true, false]) modes.push(MeshMode.fromName(name, { mtls, cni }));
    }
  }
  return modes;
}

const REFUSAL_TEXT: Record<RefusalCode, string> = {
  [RefusalCode.DEADLOCK]: 'deadlocks: the CNI plugin redirects init-container traffic to the proxy\'s port, where nothing listens until the proxy starts after every init container has finished; each connection is refused at once, and the retry loop never ends',
  [RefusalCode.PLAINTEXT_REJECTED]: 'the check leaves the pod as plaintext outside the mesh, and STRICT mTLS rejects it: the stack enforces it with a PeerAuthentication and an AuthorizationPolicy (Istio) or a Server and an AuthorizationPolicy (Linkerd) that admit only h2oGPT\'s mesh identity',
  [RefusalCode.NOTHING_TO_BYPASS]: 'it works around a classic sidecar\'s capture; there is none in this mode',
  [RefusalCode.KUBERNETES_TOO_OLD]: 'native sidecars need Kubernetes 1.29 or later (only when the target is older)',
  [RefusalCode.MESH_TOO_OLD]: 'the mesh release predates the per-pod native-sidecar opt-in (Istio 1.24, Linkerd 2.15; only when the version is given)',
};

/**
 * The README's decision table, rendered from `evaluateStrategy` itself so the two cannot drift
 * (a test compares them). Cells: **auto** (chosen by AUTO), allowed, or refused with a reason code.
 */
export function renderDecisionTable(kubernetesVersion: string = DEFAULT_KUBERNETES_VERSION): string {
  const context: StartupContext = { upstreamPort: 8000, kubernetesMinor: parseKubernetesMinor(kubernetesVersion), upstreamStartupBudgetSeconds: 1800 };
  const header = `| mode | CNI | mTLS | ${CONCRETE_STRATEGIES.join(' | ')} |`;
  const rule = `|---|---|---|${CONCRETE_STRATEGIES.map(() => '---').join('|')}|`;
  const rows = allModeVariants().map((mode) => {
    const cells = CONCRETE_STRATEGIES.map((strategy) => {
      const evaluation = evaluateStrategy(mode, strategy, context);
      if (!evaluation.allowed) return `refused (${evaluation.refusal})`;
      const tag = strategy === autoStrategy(mode) ? '**auto**' : 'allowed';
      return evaluation.warnings.length > 0 ? `${tag} ⚠` : tag;
    });
    const cni = mode.dataplane === Dataplane.SIDECAR ? (mode.cni ? 'on' : 'off') : '-';
    const mtls = mode.name === 'none' ? '-' : mode.mtls;
    return `| ${mode.name} | ${cni} | ${mtls} | ${cells.join(' | ')} |`;
  });
  const legend = Object.entries(REFUSAL_TEXT).map(([code, text]) => `- \`${code}\`: ${text}.`);
  return [
    header, rule, ...rows, '',
    '**auto** = what `auto` picks; allowed = may be chosen explicitly; ⚠ = allowed with a warning at synthesis. Refusals:',
    ...legend,
  ].join('\n');
}
