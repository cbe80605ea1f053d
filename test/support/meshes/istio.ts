import { Dataplane } from '../../../src/internal';
import { MeshWire, nat, ReplayMode, UNCAPTURED } from './wire';

/**
 * Istio's rules and wire.
 * Outbound capture:
 * - sidecar: tools/istio-iptables/pkg/capture/run.go at 1.27.0 (the CNI plugin writes the same
 *   chains, cni/pkg/plugin/testdata/basic.txt.golden): excluded ports RETURN first, then loopback,
 *   UID and GID 1337, 127.0.0.1, then REDIRECT to 15001. `excludeOutboundPorts` replaces the
 *   default list: empty from istio-init, 15020 from the CNI plugin.
 * - ambient, in-pod: cni/pkg/iptables/testdata/default.golden at 1.27.0: TCP without ztunnel's
 *   mark 0x539 goes to its 15001.
 * Wire:
 * - sidecar: Envoy dials the endpoint's IP and port (pilot/pkg/xds/endpoints/endpoint_builder.go);
 *   the server's ISTIO_INBOUND sends every port but 15008, 15020, 15021 and 15090 to 15006
 *   (tools/istio-iptables/pkg/capture/run.go, cni/pkg/plugin/testdata/basic.txt.golden, 1.27.0),
 *   where STRICT admits only mTLS (pilot/pkg/networking/core/filterchain_options.go).
 * - ambient: ztunnel dials the peer's 15008, HBONE (istio/ztunnel src/proxy/outbound.rs, 1.27.0);
 *   the peer's in-pod rules send other TCP without the mark to ztunnel's plaintext 15006 and
 *   accept the probe address 169.254.7.127 (cni/pkg/iptables/testdata/default.golden).
 * A pod's own metadata (docs/group-facts.md §4; tools/istio-iptables/pkg/capture/run.go at 1.28.10,
 * the same from the CNI plugin, cni/pkg/plugin/sidecar_redirect.go):
 * - a sidecar mode injects a pod unless its label `sidecar.istio.io/inject` is "false";
 *   `includeInboundPorts` absent or "*" redirects every inbound port but 15008, 15020, 15021 and
 *   15090 to 15006, a list only the listed ports, "" none (handleInboundPortsInclude);
 *   `includeOutboundIPRanges` "" adds no outbound redirect (handleOutboundIncludeRules);
 * - ambient takes a pod labelled `istio.io/dataplane-mode: ambient`.
 */
export const ISTIO_WIRE: MeshWire = {
  outboundCapture(mode: ReplayMode, annotations: Record<string, string>) {
    if (mode.dataplane === Dataplane.AMBIENT) {
      return [
        nat('-N', 'ISTIO_OUTPUT'), nat('-A', 'OUTPUT', '-p', 'tcp', '-j', 'ISTIO_OUTPUT'),
        nat('-A', 'ISTIO_OUTPUT', '-d', '127.0.0.1/32', '-j', 'RETURN'),
        nat('-A', 'ISTIO_OUTPUT', '-p', 'tcp', '-m', 'mark', '!', '--mark', '0x539/0xfff', '-j', 'REDIRECT', '--to-ports', '15001'),
      ];
    }
    const excluded = (annotations['traffic.sidecar.istio.io/excludeOutboundPorts'] ?? (mode.cni ? '15020' : '')).split(',').map((p) => p.trim()).filter(Boolean);
    return [
      nat('-N', 'ISTIO_OUTPUT'), nat('-N', 'ISTIO_REDIRECT'),
      nat('-A', 'OUTPUT', '-p', 'tcp', '-j', 'ISTIO_OUTPUT'),
      nat('-A', 'ISTIO_REDIRECT', '-p', 'tcp', '-j', 'REDIRECT', '--to-ports', '15001'),
      ...excluded.map((port) => nat('-A', 'ISTIO_OUTPUT', '-p', 'tcp', '--dport', port, '-j', 'RETURN')),
      nat('-A', 'ISTIO_OUTPUT', '-o', 'lo', '-j', 'RETURN'),
      nat('-A', 'ISTIO_OUTPUT', '-m', 'owner', '--uid-owner', '1337', '-j', 'RETURN'),
      nat('-A', 'ISTIO_OUTPUT', '-m', 'owner', '--gid-owner', '1337', '-j', 'RETURN'),
      nat('-A', 'ISTIO_OUTPUT', '-d', '127.0.0.1/32', '-j', 'RETURN'),
      nat('-A', 'ISTIO_OUTPUT', '-j', 'ISTIO_REDIRECT'),
    ];
  },
  wire(mode: ReplayMode) {
    if (mode.dataplane === Dataplane.AMBIENT) {
      return {
        proxy: { listen: 15001, dial: 15008, mark: '0x539' },
        inboundPorts: [15006, 15008],
        inboundCapture: [
          nat('-N', 'ISTIO_PRERT'), nat('-A', 'PREROUTING', '-j', 'ISTIO_PRERT'),
          nat('-A', 'ISTIO_PRERT', '-s', '169.254.7.127', '-p', 'tcp', '-j', 'ACCEPT'),
          nat('-A', 'ISTIO_PRERT', '!', '-d', '127.0.0.1/32', '-p', 'tcp', '!', '--dport', '15008', '-m', 'mark', '!', '--mark', '0x539/0xfff', '-j', 'REDIRECT', '--to-ports', '15006'),
        ],
      };
    }
    return {
      proxy: { listen: 15001, uid: 1337, dial: 0 },
      inboundPorts: [15006],
      inboundCapture: [
        nat('-N', 'ISTIO_INBOUND'), nat('-N', 'ISTIO_IN_REDIRECT'),
        nat('-A', 'ISTIO_INBOUND', '-p', 'tcp', '--dport', '15008', '-j', 'RETURN'),
        nat('-A', 'ISTIO_IN_REDIRECT', '-p', 'tcp', '-j', 'REDIRECT', '--to-ports', '15006'),
        nat('-A', 'PREROUTING', '-p', 'tcp', '-j', 'ISTIO_INBOUND'),
        ...['15020', '15021', '15090'].map((port) => nat('-A', 'ISTIO_INBOUND', '-p', 'tcp', '--dport', port, '-j', 'RETURN')),
        nat('-A', 'ISTIO_INBOUND', '-p', 'tcp', '-j', 'ISTIO_IN_REDIRECT'),
      ],
    };
  },
  podCapture(mode, { labels, annotations }) {
    if (mode.dataplane === Dataplane.AMBIENT) {
      if (labels['istio.io/dataplane-mode'] !== 'ambient') return UNCAPTURED;
      const wire = ISTIO_WIRE.wire(mode);
      return { outbound: ISTIO_WIRE.outboundCapture(mode, annotations), inbound: wire.inboundCapture, proxy: wire.proxy, inboundPorts: wire.inboundPorts };
    }
    if (labels['sidecar.istio.io/inject'] === 'false') return UNCAPTURED;
    const include = annotations['traffic.sidecar.istio.io/includeInboundPorts'] ?? '*';
    // "*": the wire's usual inbound capture; a list: those ports only; "": none.
    const inbound = include === '*' ? ISTIO_WIRE.wire(mode).inboundCapture : include === '' ? [] : [
      nat('-N', 'ISTIO_INBOUND'), nat('-N', 'ISTIO_IN_REDIRECT'),
      nat('-A', 'ISTIO_IN_REDIRECT', '-p', 'tcp', '-j', 'REDIRECT', '--to-ports', '15006'),
      nat('-A', 'PREROUTING', '-p', 'tcp', '-j', 'ISTIO_INBOUND'),
      ...include.split(',').map((port) => nat('-A', 'ISTIO_INBOUND', '-p', 'tcp', '--dport', port.trim(), '-j', 'ISTIO_IN_REDIRECT')),
    ];
    const outbound = annotations['traffic.sidecar.istio.io/includeOutboundIPRanges'] === '' ? [] : ISTIO_WIRE.outboundCapture(mode, annotations);
    return { outbound, inbound, proxy: ISTIO_WIRE.wire(mode).proxy, inboundPorts: include === '' ? [] : [15006] };
  },
};
