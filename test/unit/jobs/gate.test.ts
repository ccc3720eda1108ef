// The gate of a held job container: which argv it execs once released (the Engine's rules for
// an image's ENTRYPOINT and CMD against a create's), and what it runs until then.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { effectiveCommand, gatedSpec } from '../../../src/jobs/gate.js';
import type { ContainerCreateSpec } from '../../../src/deploy/container-spec.js';

const spec = (over: Partial<ContainerCreateSpec> = {}): ContainerCreateSpec => ({
  name: 'slipway-etl-transform-run1-0-1',
  Image: 'reg/etl@sha256:abc',
  Env: [],
  Labels: {},
  HostConfig: { NetworkMode: 'slipway-etl', RestartPolicy: { Name: '' }, Mounts: [], LogConfig: { Type: 'json-file', Config: {} } },
  ...over,
});

test("the argv a container runs: a command keeps the image's entrypoint, an entrypoint drops the image's command", () => {
  const image = { Entrypoint: ['/entry.sh'], Cmd: ['serve'] };
  assert.deepEqual(effectiveCommand({}, image), ['/entry.sh', 'serve']);
  assert.deepEqual(effectiveCommand({ Cmd: ['python3', 'transform.py'] }, image), ['/entry.sh', 'python3', 'transform.py']);
  assert.deepEqual(effectiveCommand({ Entrypoint: ['tini', '--'] }, image), ['tini', '--']);
  assert.deepEqual(effectiveCommand({ Entrypoint: ['tini', '--'], Cmd: ['run'] }, image), ['tini', '--', 'run']);
  assert.deepEqual(effectiveCommand({}, { Entrypoint: null, Cmd: ['python3'] }), ['python3']);
  assert.deepEqual(effectiveCommand({ Cmd: [] }, { Cmd: ['python3'] }), ['python3']);
});

test('a held container runs /bin/sh reading one line from stdin, then execs the real argv; nothing to exec, no gate', () => {
  const g = gatedSpec(spec({ Cmd: ['python3', 'transform.py'] }), { Entrypoint: null, Cmd: ['bash'] })!;
  assert.deepEqual(g.Entrypoint!.slice(0, 2), ['/bin/sh', '-c']);
  assert.match(g.Entrypoint![2]!, /read -r go .*exec "\$@"; exit 125$/);
  assert.deepEqual(g.Cmd, ['python3', 'transform.py']);
  assert.equal(g.OpenStdin, true);
  assert.equal(g.StdinOnce, true);
  assert.equal(g.name, 'slipway-etl-transform-run1-0-1');
  assert.equal(gatedSpec(spec(), { Entrypoint: null, Cmd: null }), null);
});
