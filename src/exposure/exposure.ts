import { checkDnsLabel, checkDnsSubdomain, checkInteger, checkLabels, checkNonEmpty } from '../common/checks';
import { ConfigurationError } from '../common/errors';

/** How the UI is reached from outside the cluster. */
export enum ExposureKind {
  /** Not at all: two ClusterIP Services, reached with `kubectl port-forward` or from inside the cluster. */
  NONE = 'none',
  /** A Gateway API `HTTPRoute` attached to an existing Gateway. */
  GATEWAY = 'gateway',
  /** A `networking.k8s.io/v1` Ingress, with TLS. */
  INGRESS = 'ingress',
}

/** The default time one request, a whole streamed answer included, may take through the route. */
export const DEFAULT_REQUEST_TIMEOUT_SECONDS = 3600;

/** Options of `Exposure.gateway`. */
export interface GatewayExposureOptions {
  /** Name of the existing Gateway the route attaches to. */
  readonly gatewayName: string;
  /**
   * Namespace of that Gateway. Its listener must admit routes from the stack's namespace
   * (`allowedRoutes.namespaces`).
   * @default the stack's namespace
   */
  readonly gatewayNamespace?: string;
  /**
   * The Gateway listener to attach to (`sectionName`).
   * @default every listener of the Gateway that admits the route
   */
  readonly listenerName?: string;
  /** The host name users reach the UI at, e.g. "chat.example.com". */
  readonly hostname: string;
  /**
   * Namespace of the pods that carry the route's traffic to the UI (the Gateway's own pods):
   * h2oGPT's NetworkPolicy admits the UI port from them only.
   * @default the Gateway's namespace
   */
  readonly proxyNamespace?: string;
  /**
   * Labels of those pods, to admit only them of `proxyNamespace`.
   * @default every pod of `proxyNamespace`
   */
  readonly proxyPodLabels?: { [key: string]: string };
  /**
   * How long one request may take, a whole streamed completion included (Gateway API
   * `timeouts.request` and `backendRequest`).
   * @default 3600
   */
  readonly requestTimeoutSeconds?: number;
}

/** Options of `Exposure.ingress`. */
export interface IngressExposureOptions {
  /** The IngressClass, e.g. "nginx". */
  readonly className: string;
  /** The host name users reach the UI at, e.g. "chat.example.com". */
  readonly hostname: string;
  /**
   * The Secret holding the TLS certificate for the host. The UI is served over TLS only. With
   * `certManagerIssuer`, cert-manager writes it.
   */
  readonly tlsSecretName: string;
  /**
   * A cert-manager issuer: the stack emits a `Certificate` for the host, written to `tlsSecretName`.
   * @default none: the Secret exists already
   */
  readonly certManagerIssuer?: string;
  /**
   * Kind of that issuer.
   * @default "ClusterIssuer"
   */
  readonly certManagerIssuerKind?: string;
  /**
   * Namespace of the ingress controller's pods, which carry the traffic to the UI: h2oGPT's
   * NetworkPolicy admits the UI port from them only.
   * @default "ingress-nginx" for an nginx class (ingress-nginx's own manifests); any other class: none, and the UI port stays open to every pod, with a warning
   */
  readonly proxyNamespace?: string;
  /**
   * Labels of the controller's pods, to admit only them of `proxyNamespace`.
   * @default { "app.kubernetes.io/name": "ingress-nginx", "app.kubernetes.io/component": "controller" } for an nginx class in its default namespace; else every pod of `proxyNamespace`
   */
  readonly proxyPodLabels?: { [key: string]: string };
  /**
   * How long one request may take, a whole streamed completion included. Set through
   * ingress-nginx's annotations when the class is nginx; other controllers have their own.
   * @default 3600
   */
  readonly requestTimeoutSeconds?: number;
}

const ISSUER_KINDS = ['ClusterIssuer', 'Issuer'];

/** What an `Exposure` holds. Internal. */
interface ExposureFields {
  readonly kind: ExposureKind;
  readonly requestTimeoutSeconds: number;
  readonly hostname?: string;
  readonly gatewayName?: string;
  readonly gatewayNamespace?: string;
  readonly listenerName?: string;
  readonly className?: string;
  readonly tlsSecretName?: string;
  readonly certManagerIssuer?: string;
  readonly certManagerIssuerKind?: string;
  readonly proxyNamespace?: string;
  readonly proxyPodLabels?: { [key: string]: string };
}

/** ingress-nginx's controller pods (deploy/static/provider/cloud/deploy.yaml, kubernetes/ingress-nginx commit 0124c313). */
const INGRESS_NGINX = { namespace: 'ingress-nginx', podLabels: { 'app.kubernetes.io/name': 'ingress-nginx', 'app.kubernetes.io/component': 'controller' } };

function checkProxy(namespace: string | undefined, labels: { [key: string]: string } | undefined): void {
  if (namespace !== undefined) checkDnsLabel('exposure.proxyNamespace', namespace);
  checkLabels('exposure.proxyPodLabels', labels);
}

/**
 * How the UI is exposed outside the cluster: `Exposure.gateway(...)` (the default way in, routed
 * by the Gateway's controller: Istio's, or another; Linkerd ships none), `Exposure.ingress(...)`,
 * or `Exposure.none()`.
 */
export class Exposure {
  /** Not exposed: the UI stays behind its ClusterIP Service. */
  public static none(): Exposure {
    return new Exposure({ kind: ExposureKind.NONE, requestTimeoutSeconds: DEFAULT_REQUEST_TIMEOUT_SECONDS });
  }

  /** An `HTTPRoute` on an existing Gateway. */
  public static gateway(options: GatewayExposureOptions): Exposure {
    const o = options ?? ({} as GatewayExposureOptions);
    checkDnsSubdomain('exposure.gatewayName', o.gatewayName);
    if (o.gatewayNamespace !== undefined) checkDnsLabel('exposure.gatewayNamespace', o.gatewayNamespace);
    if (o.listenerName !== undefined) checkDnsSubdomain('exposure.listenerName', o.listenerName);
    checkProxy(o.proxyNamespace, o.proxyPodLabels);
    return new Exposure({
      kind: ExposureKind.GATEWAY,
      requestTimeoutSeconds: requestTimeout(o.requestTimeoutSeconds),
      hostname: checkHostname(o.hostname),
      gatewayName: o.gatewayName,
      gatewayNamespace: o.gatewayNamespace,
      listenerName: o.listenerName,
      proxyNamespace: o.proxyNamespace ?? o.gatewayNamespace,
      proxyPodLabels: o.proxyPodLabels,
    });
  }

  /** An Ingress with TLS, and optionally a cert-manager `Certificate` for it. */
  public static ingress(options: IngressExposureOptions): Exposure {
    const o = options ?? ({} as IngressExposureOptions);
    checkDnsSubdomain('exposure.className', o.className);
    checkNonEmpty('exposure.tlsSecretName', o.tlsSecretName, 'Name the Secret with the TLS certificate for the host; the UI is served over TLS only.');
    checkDnsSubdomain('exposure.tlsSecretName', o.tlsSecretName);
    if (o.certManagerIssuer !== undefined) checkDnsSubdomain('exposure.certManagerIssuer', o.certManagerIssuer);
    const issuerKind = o.certManagerIssuerKind ?? 'ClusterIssuer';
    if (!ISSUER_KINDS.includes(issuerKind)) {
      throw new ConfigurationError('exposure.certManagerIssuerKind', issuerKind, `Use one of: ${ISSUER_KINDS.join(', ')}.`);
    }
    if (o.certManagerIssuerKind !== undefined && o.certManagerIssuer === undefined) {
      throw new ConfigurationError('exposure.certManagerIssuerKind', issuerKind, 'It only applies with certManagerIssuer: name the issuer too, or leave the kind unset.');
    }
    checkProxy(o.proxyNamespace, o.proxyPodLabels);
    // An nginx class is ingress-nginx's; its default install names the namespace and labels.
    const nginxDefault = o.className.includes('nginx') && (o.proxyNamespace ?? INGRESS_NGINX.namespace) === INGRESS_NGINX.namespace;
    return new Exposure({
      kind: ExposureKind.INGRESS,
      requestTimeoutSeconds: requestTimeout(o.requestTimeoutSeconds),
      hostname: checkHostname(o.hostname),
      className: o.className,
      tlsSecretName: o.tlsSecretName,
      certManagerIssuer: o.certManagerIssuer,
      certManagerIssuerKind: o.certManagerIssuer === undefined ? undefined : issuerKind,
      proxyNamespace: o.proxyNamespace ?? (nginxDefault ? INGRESS_NGINX.namespace : undefined),
      proxyPodLabels: o.proxyPodLabels ?? (nginxDefault ? INGRESS_NGINX.podLabels : undefined),
    });
  }

  /** Which way in. */
  public readonly kind: ExposureKind;
  /** How long one request may take through the route, in seconds. */
  public readonly requestTimeoutSeconds: number;
  /** The host name users reach the UI at (gateway and ingress). */
  public readonly hostname?: string;
  /** Name of the Gateway (gateway). */
  public readonly gatewayName?: string;
  /** Namespace of the Gateway, when not the stack's (gateway). */
  public readonly gatewayNamespace?: string;
  /** The listener attached to (gateway). */
  public readonly listenerName?: string;
  /** The IngressClass (ingress). */
  public readonly className?: string;
  /** The TLS Secret (ingress). */
  public readonly tlsSecretName?: string;
  /** The cert-manager issuer (ingress). */
  public readonly certManagerIssuer?: string;
  /** Kind of the cert-manager issuer (ingress, with an issuer). */
  public readonly certManagerIssuerKind?: string;
  /**
   * Namespace of the pods that carry traffic to the UI (gateway and ingress); for a Gateway,
   * undefined means the stack's namespace. For an ingress, undefined means not known.
   */
  public readonly proxyNamespace?: string;
  /** Labels of those pods, or undefined for every pod of `proxyNamespace`. */
  public readonly proxyPodLabels?: { [key: string]: string };

  private constructor(fields: ExposureFields) {
    this.kind = fields.kind;
    this.requestTimeoutSeconds = fields.requestTimeoutSeconds;
    this.hostname = fields.hostname;
    this.gatewayName = fields.gatewayName;
    this.gatewayNamespace = fields.gatewayNamespace;
    this.listenerName = fields.listenerName;
    this.className = fields.className;
    this.tlsSecretName = fields.tlsSecretName;
    this.certManagerIssuer = fields.certManagerIssuer;
    this.certManagerIssuerKind = fields.certManagerIssuerKind;
    this.proxyNamespace = fields.proxyNamespace;
    this.proxyPodLabels = fields.proxyPodLabels;
  }
}

function requestTimeout(seconds: number | undefined): number {
  // Gateway API durations allow at most five digits per unit: 99999 s is over a day.
  return checkInteger('exposure.requestTimeoutSeconds', seconds ?? DEFAULT_REQUEST_TIMEOUT_SECONDS, 1, 99_999, 'seconds');
}

function checkHostname(hostname: string | undefined): string {
  checkNonEmpty('exposure.hostname', hostname, 'Give the host name users reach the UI at, e.g. "chat.example.com".');
  if (hostname!.startsWith('*.')) {
    throw new ConfigurationError('exposure.hostname', hostname, 'Give one host, not a wildcard: the route and its certificate are for the UI alone.');
  }
  if (!/^(?=.{1,253}$)([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)(\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)+$/.test(hostname!)) {
    throw new ConfigurationError('exposure.hostname', hostname, 'Use a fully qualified, lower-case DNS name with at least one dot, e.g. "chat.example.com" (no scheme, port or path).');
  }
  return hostname!;
}
