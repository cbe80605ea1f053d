import { Mesh } from '../../../src/internal';
import { ISTIO_WIRE } from './istio';
import { LINKERD_WIRE } from './linkerd';
import { MeshWire } from './wire';

export { nat } from './wire';
export type { NatRule, PodCapture, ReplayMode, Wire } from './wire';
export { UNCAPTURED } from './wire';

// A new mesh's rules and wire are one file beside these, and its entry here.
const WIRES: Partial<Record<Mesh, MeshWire>> = { [Mesh.ISTIO]: ISTIO_WIRE, [Mesh.LINKERD]: LINKERD_WIRE };

/** The mesh's rules and wire for a replayed mode; undefined without a mesh. */
export function meshWire(mesh: Mesh): MeshWire | undefined {
  return WIRES[mesh];
}
