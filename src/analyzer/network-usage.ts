import { ANNOTATIONS } from '../common/labels';

/** How one of our own init containers uses the network, as its pod declares it. */
export interface NetworkUsage {
  /** It opens connections. */
  readonly usesNetwork: boolean;
  /** It retries until its upstream answers (a wait loop), rather than trying once. */
  readonly waits: boolean;
  /** The port it calls, when known. */
  readonly port?: number;
  /** The host it calls, when known. */
  readonly host?: string;
  /** What gave it away, for the reason text. */
  readonly evidence?: string;
}

/** The init containers our own constructs declare as networked, or undefined for foreign pods. */
export function declaredNetworkContainers(annotations: Record<string, string> | undefined): Set<string> | undefined {
  const declared = annotations?.[ANNOTATIONS.networkInitContainers];
  if (declared === undefined) return undefined;
  return new Set(declared.split(',').map((s) => s.trim()).filter((s) => s.length > 0));
}

/**
 * How one of our own init containers uses the network: pods from this library say exactly which
 * init containers call out (an annotation) and where (WAIT_URL). Other pods are modelled
 * (container-model.ts).
 */
export function networkUsage(container: any, declared: Set<string>): NetworkUsage {
  const env: Array<{ name: string; value?: string }> = container.env ?? [];
  const usesNetwork = declared.has(container.name);
  const waitUrl = env.find((e) => e.name === 'WAIT_URL')?.value;
  const target = waitUrl ? urlTarget(waitUrl) : {};
  return {
    usesNetwork,
    waits: usesNetwork, // our waiter always retries until its deadline
    ...(usesNetwork ? target : {}),
    evidence: usesNetwork ? `declared by ${ANNOTATIONS.networkInitContainers}` : undefined,
  };
}

/** Host and port of an http(s) URL, the port defaulted by its scheme. */
function urlTarget(url: string): { host?: string; port?: number } {
  const m = /^(https?):\/\/(\[[0-9a-fA-F:]+\]|[^/:?#]+)(?::(\d+))?/.exec(url);
  if (!m) return {};
  return { host: m[2].replace(/^\[|\]$/g, ''), port: m[3] ? Number(m[3]) : m[1] === 'https' ? 443 : 80 };
}
