import { ApiObject } from 'cdk8s';
import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { MeshMode, MtlsMode, profileOf } from '../mesh/mesh-mode';
import { Exposure, ExposureKind } from './exposure';

// The objects that bring outside users to the UI: a Gateway API HTTPRoute, or an Ingress with TLS
// (and a cert-manager Certificate). No mesh policy changes: h2oGPT's NetworkPolicy already admits
// its UI port from anywhere, and its PeerAuthentication (Istio) asks only that callers be in the
// mesh, which a meshed gateway is. So the gateway gets in and nothing else new does.

/** The front end as its route sees it. Internal. */
export interface ExposedService {
  /** Name of the Service (and of the route objects). */
  readonly name: string;
  readonly namespace?: string;
  readonly labels: { [key: string]: string };
  /** Service port of the UI. */
  readonly uiPort: number;
}

/** What exposing the UI made. Internal. */
export interface UiExposure {
  readonly objects: ApiObject[];
  /** Where users reach the UI, e.g. `https://chat.example.com/`. */
  readonly url?: string;
  readonly warnings: string[];
}

const GATEWAY_API = 'gateway.networking.k8s.io';

/** The route objects for `exposure`; none for ExposureKind.NONE. */
export function exposeUi(scope: Construct, exposure: Exposure, service: ExposedService, mesh: MeshMode): UiExposure {
  const metadata = { name: service.name, namespace: service.namespace, labels: service.labels };
  const timeout = `${exposure.requestTimeoutSeconds}s`;
  switch (exposure.kind) {
    case ExposureKind.NONE:
      return { objects: [], warnings: [] };
    case ExposureKind.GATEWAY: {
      const route = new ApiObject(scope, 'http-route', {
        apiVersion: `${GATEWAY_API}/v1`,
        kind: 'HTTPRoute',
        metadata,
        spec: {
          parentRefs: [{
            group: GATEWAY_API, kind: 'Gateway', name: exposure.gatewayName,
            namespace: exposure.gatewayNamespace, sectionName: exposure.listenerName,
          }],
          hostnames: [exposure.hostname],
          rules: [{
            matches: [{ path: { type: 'PathPrefix', value: '/' } }],
            backendRefs: [{ kind: 'Service', name: service.name, port: service.uiPort }],
            // A streamed answer is one long request: the implementation's default would cut it.
            timeouts: { request: timeout, backendRequest: timeout },
          }],
        },
      });
      return { objects: [route], url: `https://${exposure.hostname}/`, warnings: [] };
    }
    case ExposureKind.INGRESS: {
      const nginx = exposure.className!.includes('nginx');
      const seconds = String(exposure.requestTimeoutSeconds);
      const annotations: { [key: string]: string } | undefined = nginx
        ? {
          // ingress-nginx cuts a request after 60 s and buffers responses: a streamed answer needs neither.
          'nginx.ingress.kubernetes.io/proxy-read-timeout': seconds,
          'nginx.ingress.kubernetes.io/proxy-send-timeout': seconds,
          'nginx.ingress.kubernetes.io/proxy-buffering': 'off',
          // Under a mesh, send to the Service's cluster IP so the controller's own proxy routes it
          // (Istio's and Linkerd's guides for ingress-nginx).
          ...(profileOf(mesh) ? { 'nginx.ingress.kubernetes.io/service-upstream': 'true' } : {}),
        }
        : undefined;
      const objects: ApiObject[] = [new k8s.KubeIngress(scope, 'ingress', {
        metadata: { ...metadata, annotations },
        spec: {
          ingressClassName: exposure.className,
          tls: [{ hosts: [exposure.hostname!], secretName: exposure.tlsSecretName }],
          rules: [{
            host: exposure.hostname,
            http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: service.name, port: { number: service.uiPort } } } }] },
          }],
        },
      })];
      if (exposure.certManagerIssuer !== undefined) {
        objects.push(new ApiObject(scope, 'certificate', {
          apiVersion: 'cert-manager.io/v1',
          kind: 'Certificate',
          metadata: { ...metadata, name: `${service.name}-tls` },
          spec: {
            secretName: exposure.tlsSecretName,
            dnsNames: [exposure.hostname],
            issuerRef: { group: 'cert-manager.io', kind: exposure.certManagerIssuerKind, name: exposure.certManagerIssuer },
          },
        }));
      }
      const warnings: string[] = [];
      if (!nginx) {
        warnings.push(`exposure: IngressClass "${exposure.className}" is not ingress-nginx, whose timeout annotations the stack sets; give it a request timeout of `
          + `${seconds} s or more yourself, or long streamed answers are cut`);
      }
      if (profileOf(mesh)?.strictHoldsFrontend && mesh.mtls === MtlsMode.STRICT) {
        warnings.push(`exposure: under ${mesh.describe()}, h2oGPT accepts mTLS only: the "${exposure.className}" controller's pods must be in the mesh, or their requests are refused`);
      }
      return { objects, url: `https://${exposure.hostname}/`, warnings };
    }
  }
}
