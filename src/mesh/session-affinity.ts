import { Construct } from 'constructs';
import { ConfigurationError } from '../common/errors';
import { MeshMode, profileOf } from './mesh-mode';
import { MeshProfile, StickyFrontend, StickySessionOptions, StickySessions } from './mesh-profiles';
import { allMeshProfiles } from './meshes';

// Sticky sessions for h2oGPT's UI (docs/mesh-facts.md §9): Gradio keeps each session in one
// process. Without a mesh the Service's ClientIP affinity does it; a mesh's proxies ignore that,
// so each mesh needs its own way (meshes/<mesh>.ts), or the stack refuses more than one replica.

export type { StickyFrontend, StickySessionOptions, StickySessions } from './mesh-profiles';

/**
 * The objects that keep each browser session on one h2oGPT replica under `mode`; none for one
 * replica or no mesh. Throws, naming `h2ogpt.replicas`, where the mesh cannot keep sessions.
 */
export function stickySessions(scope: Construct, mode: MeshMode, frontend: StickyFrontend, options: StickySessionOptions = {}): StickySessions {
  const profile = profileOf(mode);
  if (!profile || frontend.replicas <= 1) return { objects: [], warnings: [] };
  const affinity = profile.sessionAffinity;
  if (affinity.mechanism === 'none') {
    throw new ConfigurationError('h2ogpt.replicas', frontend.replicas, sessionsRefusal(profile, 'Use one h2oGPT replica (vLLM may still have several)'));
  }
  return affinity.sessions(scope, mode, frontend, options);
}

/** Why a mesh without session affinity cannot have several h2oGPT replicas, ending in `fix` and the meshes that can. */
export function sessionsRefusal(profile: MeshProfile, fix: string): string {
  const affinity = profile.sessionAffinity;
  const why = affinity.mechanism === 'none' ? affinity.why : 'it keeps no session on one replica';
  const keepers = allMeshProfiles().filter((p) => p.sessionAffinity.mechanism !== 'none').map((p) => p.displayName);
  return `Under ${profile.displayName}, ${why}. ${fix}, or ${[...keepers, 'no mesh'].join(' or ')} for several.`;
}
