/**
 * The meshes this library knows, one file each. A new mesh is a new file here that implements
 * `MeshProfile`, its entry below and its `Mesh` value (docs/adding-a-mesh.md).
 */
import { Mesh, MeshProfile } from '../mesh-profiles';
import { ISTIO } from './istio';
import { LINKERD } from './linkerd';

const PROFILES: ReadonlyArray<MeshProfile> = [ISTIO, LINKERD];

/** The profile of a mesh; undefined for `Mesh.NONE`. */
export function meshProfile(mesh: Mesh): MeshProfile | undefined {
  return PROFILES.find((profile) => profile.mesh === mesh);
}

/** Every mesh with a profile, for the CLI's mode list and the analyzer. */
export function allMeshProfiles(): MeshProfile[] {
  return [...PROFILES];
}
