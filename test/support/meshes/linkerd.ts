import { MeshWire, nat, NatRule, UNCAPTURED } from './wire';

/**
 * Linkerd's rules and wire.
 * - Outbound capture: linkerd2-proxy-init pkg/iptables/iptables.go addOutgoingTrafficRules:
 *   RETURN for UID 2102, `-o lo` and skipped ports, then REDIRECT to 4140.
 * - Wire, 2.18+ (edge-25.3.2): the client proxy dials the peer's inbound port 4143 with a
 *   transport header naming the app's port (linkerd2 controller/api/destination/endpoint_translator.go,
 *   outboundTransportMode: transport-header in the chart; linkerd2-proxy
 *   linkerd/app/outbound/src/tcp/tagged_transport.rs); the peer's PROXY_INIT_REDIRECT sends every
 *   TCP port but 4190, 4191, 4567 and 4568 to 4143 (linkerd2-proxy-init addIncomingTrafficRules).
 * - A pod's own metadata (docs/group-facts.md §4; proxy-init v2.4.9 pkg/iptables/iptables.go, the
 *   chart's _proxy-init.tpl at edge-26.8.3): a pod is injected when `linkerd.io/inject` is
 *   "enabled"; inbound RETURNs 4190, 4191 and `skip-inbound-ports` (default 4567,4568), ranges a-b
 *   as multiport a:b; outbound RETURNs `skip-outbound-ports` the same way.
 */
/** The inbound rules: the skipped ports (iptables multiport form) RETURN, every other TCP port goes to 4143. */
const inboundCapture = (skipped: string): NatRule[] => [
  nat('-N', 'PROXY_INIT_REDIRECT'), nat('-A', 'PREROUTING', '-j', 'PROXY_INIT_REDIRECT'),
  nat('-A', 'PROXY_INIT_REDIRECT', '-p', 'tcp', '-m', 'multiport', '--dports', skipped, '-j', 'RETURN'),
  nat('-A', 'PROXY_INIT_REDIRECT', '-p', 'tcp', '-j', 'REDIRECT', '--to-port', '4143'),
];

export const LINKERD_WIRE: MeshWire = {
  outboundCapture(_mode, annotations) {
    const skipped = annotations['config.linkerd.io/skip-outbound-ports'] ?? '4567,4568';
    return [
      nat('-N', 'PROXY_INIT_OUTPUT'), nat('-A', 'OUTPUT', '-j', 'PROXY_INIT_OUTPUT'),
      nat('-A', 'PROXY_INIT_OUTPUT', '-m', 'owner', '--uid-owner', '2102', '-j', 'RETURN'),
      nat('-A', 'PROXY_INIT_OUTPUT', '-o', 'lo', '-j', 'RETURN'),
      nat('-A', 'PROXY_INIT_OUTPUT', '-p', 'tcp', '-m', 'multiport', '--dports', skipped, '-j', 'RETURN'),
      nat('-A', 'PROXY_INIT_OUTPUT', '-p', 'tcp', '-j', 'REDIRECT', '--to-port', '4140'),
    ];
  },
  wire() {
    return {
      proxy: { listen: 4140, uid: 2102, dial: 4143 },
      inboundPorts: [4143],
      inboundCapture: inboundCapture('4190,4191,4567,4568'),
    };
  },
  podCapture(mode, { annotations }) {
    if (annotations['linkerd.io/inject'] !== 'enabled') return UNCAPTURED;
    // iptables' multiport writes a range a:b where Linkerd's annotation says a-b.
    const ranges = (list: string) => list.split(',').map((p) => p.trim()).filter(Boolean).map((p) => p.replace('-', ':')).join(',');
    const skippedIn = `4190,4191,${ranges(annotations['config.linkerd.io/skip-inbound-ports'] ?? '4567,4568')}`;
    const skippedOut = ranges(annotations['config.linkerd.io/skip-outbound-ports'] ?? '4567,4568');
    const wire = LINKERD_WIRE.wire(mode);
    return {
      outbound: LINKERD_WIRE.outboundCapture(mode, { ...annotations, 'config.linkerd.io/skip-outbound-ports': skippedOut }),
      inbound: inboundCapture(skippedIn),
      proxy: wire.proxy,
      inboundPorts: wire.inboundPorts,
    };
  },
};
