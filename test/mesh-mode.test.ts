import { Dataplane, Mesh, MeshMode, MtlsMode, withFieldPrefix } from '../src/internal';
import { meshPodMetadata, portExclusionMetadata } from '../src/mesh/pod-metadata';

describe('MeshMode', () => {
  test('sidecar modes assume CNI and strict mTLS unless told', () => {
    const mode = MeshMode.istioSidecar();
    expect([mode.mesh, mode.dataplane, mode.cni, mode.mtls]).toEqual([Mesh.ISTIO, Dataplane.SIDECAR, true, MtlsMode.STRICT]);
    expect(MeshMode.linkerdSidecar({ cni: false }).cni).toBe(false);
    expect(MeshMode.istioAmbient({ mtls: MtlsMode.PERMISSIVE }).mtls).toBe(MtlsMode.PERMISSIVE);
  });

  test('CNI only matters for classic sidecars', () => {
    expect(MeshMode.istioNativeSidecar().cni).toBe(false);
    expect(MeshMode.fromName('istio-ambient').cni).toBe(false);
    // Naming a CNI choice where none exists is a mistake worth saying.
    expect(() => MeshMode.fromName('istio-ambient', { cni: true })).toThrow(/Invalid cni: true\. istio-ambient always runs istio-cni; leave it unset/);
  });

  test('every CLI name round-trips', () => {
    expect(MeshMode.names()).toEqual(['none', 'istio-sidecar', 'istio-native-sidecar', 'istio-ambient', 'linkerd', 'linkerd-native-sidecar']);
    for (const name of MeshMode.names()) expect(MeshMode.fromName(name).name).toBe(name);
  });

  test('an unknown name is refused with the list', () => {
    expect(() => MeshMode.fromName('consul')).toThrow(
      'Invalid mesh: "consul". Use one of: none, istio-sidecar, istio-native-sidecar, istio-ambient, linkerd, linkerd-native-sidecar.');
    expect(() => withFieldPrefix('--', () => MeshMode.fromName('consul'))).toThrow(/^Invalid --mesh: "consul"/);
    // Options are checked with no mesh too, where nothing else would use them.
    expect(() => MeshMode.fromName('none', { mtls: 'sometimes' as MtlsMode })).toThrow(/Invalid mtls: "sometimes"/);
    expect(() => MeshMode.istioSidecar({ mtls: 'strictest' as MtlsMode })).toThrow(/Invalid mtls: "strictest"\. Use one of: strict, permissive/);
  });

  test('describe() reads as a sentence fragment', () => {
    expect(MeshMode.linkerdSidecar({ cni: false, mtls: MtlsMode.PERMISSIVE }).describe()).toBe('Linkerd sidecar without linkerd-cni, mTLS permissive');
    expect(MeshMode.istioNativeSidecar().describe()).toBe('Istio native sidecar, mTLS strict');
  });
});

describe('pod metadata per mode', () => {
  test('Istio sidecar: inject label, hold-until-proxy, and explicitly not native', () => {
    expect(meshPodMetadata(MeshMode.istioSidecar())).toEqual({
      labels: { 'sidecar.istio.io/inject': 'true' },
      annotations: { 'proxy.istio.io/config': '{"holdApplicationUntilProxyStarts":true}', 'sidecar.istio.io/nativeSidecar': 'false' },
    });
  });

  test('Linkerd sidecar: every form of the native opt-out, so 2.20\'s native default does not apply', () => {
    expect(meshPodMetadata(MeshMode.linkerdSidecar()).annotations).toEqual({
      'linkerd.io/inject': 'enabled',
      'config.linkerd.io/proxy-await': 'enabled',
      'config.linkerd.io/proxy-enable-native-sidecar': 'false',
      'config.beta.linkerd.io/proxy-enable-native-sidecar': 'false',
      'config.alpha.linkerd.io/proxy-enable-native-sidecar': 'false',
    });
  });

  test('Linkerd native sidecar: inject and the GA, beta and alpha opt-ins, no proxy-await', () => {
    expect(meshPodMetadata(MeshMode.linkerdNativeSidecar())).toEqual({
      labels: {},
      annotations: {
        'linkerd.io/inject': 'enabled',
        'config.linkerd.io/proxy-enable-native-sidecar': 'true',
        'config.beta.linkerd.io/proxy-enable-native-sidecar': 'true',
        'config.alpha.linkerd.io/proxy-enable-native-sidecar': 'true',
      },
    });
  });

  test('ambient: the dataplane label only; no mesh: nothing', () => {
    expect(meshPodMetadata(MeshMode.istioAmbient())).toEqual({ labels: { 'istio.io/dataplane-mode': 'ambient' }, annotations: {} });
    expect(meshPodMetadata(MeshMode.none())).toEqual({ labels: {}, annotations: {} });
  });

  test('port exclusion uses each mesh\'s own annotation', () => {
    expect(portExclusionMetadata(MeshMode.istioSidecar(), 8000).annotations).toEqual({ 'traffic.sidecar.istio.io/excludeOutboundPorts': '8000' });
    expect(portExclusionMetadata(MeshMode.linkerdSidecar(), 9000).annotations).toEqual({ 'config.linkerd.io/skip-outbound-ports': '9000' });
  });
});
