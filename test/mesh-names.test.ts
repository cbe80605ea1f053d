import { readdirSync, readFileSync, statSync } from 'fs';
import { join, relative } from 'path';

// One home per mesh (issue #25): outside its file (src/mesh/meshes/<mesh>.ts, and for the kernel
// harness test/support/meshes/<mesh>.ts), no code tests for a mesh by name. It asks the mesh's
// profile instead, so that a new mesh is one file, its tests and its facts (docs/adding-a-mesh.md).

const ROOT = join(__dirname, '..');
const NAME = String.raw`(?:Mesh\.(?:ISTIO|LINKERD)|['"\x60](?:istio|linkerd)['"\x60])`;
const COMPARISON = new RegExp(String.raw`(?:[!=]==?\s*${NAME})|(?:${NAME}\s*[!=]==?)|(?:case\s+${NAME})`);

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : name.endsWith('.ts') ? [path] : [];
  });
}

test('no comparison with a mesh name in src/ or the test supports, outside each mesh\'s own file', () => {
  const homes = [join(ROOT, 'src', 'mesh', 'meshes'), join(ROOT, 'test', 'support', 'meshes')];
  const found = [join(ROOT, 'src'), join(ROOT, 'test', 'support')]
    .flatMap(files)
    .filter((file) => !homes.some((home) => file.startsWith(`${home}/`)))
    .flatMap((file) => readFileSync(file, 'utf8').split('\n')
      .map((line, i) => ({ line, where: `${relative(ROOT, file)}:${i + 1}` }))
      .filter(({ line }) => COMPARISON.test(line))
      .map(({ line, where }) => `${where}: ${line.trim()}`));
  expect(found).toEqual([]);
});

test('the pattern finds each way of writing such a comparison, and not a mesh named as data', () => {
  for (const line of [
    'if (mode.mesh === Mesh.ISTIO) {', 'mesh.mesh !== Mesh.LINKERD', 'case Mesh.ISTIO:', "if (name === 'linkerd')", 'Mesh.LINKERD === mesh', 'case "istio":',
  ]) expect([line, COMPARISON.test(line)]).toEqual([line, true]);
  for (const line of ['return MeshMode.of(Mesh.ISTIO, Dataplane.SIDECAR, options);', "controlPlaneNamespace: 'linkerd',", 'ISTIO = \'istio\',']) {
    expect([line, COMPARISON.test(line)]).toEqual([line, false]);
  }
});
