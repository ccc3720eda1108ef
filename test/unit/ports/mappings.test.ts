// Port mappings as Dokku writes them, and what a Dockerfile's EXPOSE maps to.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { exposedMappings, formatMapping, parseExposed, parseMapping } from '../../../src/ports/mappings.js';
import { UserError } from '../../../src/errors.js';

test('SCHEME:HOST-PORT:CONTAINER-PORT parses and prints back', () => {
  assert.deepEqual(parseMapping('http:8080:3000'), { scheme: 'http', hostPort: 8080, containerPort: 3000 });
  assert.deepEqual(parseMapping(' tcp:5432:5432 '), { scheme: 'tcp', hostPort: 5432, containerPort: 5432 });
  assert.equal(formatMapping({ scheme: 'tcp', hostPort: 1, containerPort: 2 }), 'tcp:1:2');
});

for (const [spec, pattern] of [
  ['8080:3000', /expected SCHEME:HOST-PORT:CONTAINER-PORT, e\.g\. http:8080:3000/],
  ['http:8080', /expected SCHEME/],
  ['udp:53:53', /udp is not supported \(HAProxy proxies TCP only\)/],
  ['https:443:3000', /https mappings are not supported/],
  ['ftp:21:21', /unknown scheme "ftp"/],
  ['http:0:3000', /the host port must be 1–65535/],
  ['http:8080:70000', /the container port must be 1–65535/],
] as const) {
  test(`a bad mapping is refused: ${spec}`, () => {
    assert.throws(() => parseMapping(spec), (e: unknown) => e instanceof UserError && pattern.test(e.message));
  });
}

test('EXPOSEd TCP ports map to the same host port; UDP ones are skipped with a warning', () => {
  const exposed = parseExposed(['6379/tcp', '53/udp', '5432/tcp', '8080']);
  assert.deepEqual(exposed.map((e) => `${e.port}/${e.protocol}`), ['53/udp', '5432/tcp', '6379/tcp', '8080/tcp']);
  const { wanted, warnings } = exposedMappings(exposed);
  assert.deepEqual(wanted.map(formatMapping), ['tcp:5432:5432', 'tcp:6379:6379', 'tcp:8080:8080']);
  assert.ok(wanted.every((m) => m.source === 'expose'));
  assert.deepEqual(warnings, ['EXPOSE 53/udp: skipped — only TCP ports can be mapped (HAProxy proxies TCP)']);
});
