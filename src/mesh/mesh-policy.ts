import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import { MeshPolicyInput } from './mesh-profiles';
import { allMeshProfiles, meshProfile } from './meshes';

// The mesh's own policy objects for a stack: mTLS enforced rather than assumed, and vLLM open
// only to h2oGPT's mesh identity. Each mesh builds its own (meshes/<mesh>.ts).

export type { MeshPolicyInput, PolicyWorkload } from './mesh-profiles';

/** The mesh's policy objects for the stack; none without a mesh. */
export function meshPolicies(scope: Construct, input: MeshPolicyInput): ApiObject[] {
  return meshProfile(input.mode.mesh)?.policies(scope, input) ?? [];
}

/** What the mesh says about its policy objects for the stack (asked once per stack); nothing without a mesh. */
export function meshPolicyWarnings(input: MeshPolicyInput): string[] {
  return meshProfile(input.mode.mesh)?.policyWarnings(input) ?? [];
}

/** Every suffix a mesh's policy objects add to an upstream's name, whatever the mesh. */
export function policyNameSuffixes(): string[] {
  return allMeshProfiles().flatMap((profile) => [...profile.policyNameSuffixes]);
}
