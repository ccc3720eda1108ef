// app.json parsing: Dokku healthchecks with defaults, deploy scripts, env, and JSON errors with positions.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseAppJson } from '../../../src/build/app-json.js';
import { UserError } from '../../../src/errors.js';

const userError = (pattern: RegExp) => (e: unknown) => e instanceof UserError && pattern.test(e.message);

test('an empty object means no checks, scripts or env', () => {
  assert.deepEqual(parseAppJson('{}'), { healthchecks: {}, scripts: {}, env: {} });
});

test('a Dokku healthcheck gets defaults for what it leaves out (attempts 5, timeout 5, wait 2, initialDelay 0)', () => {
  const doc = parseAppJson(JSON.stringify({ healthchecks: { web: [{ type: 'startup', path: '/health', content: 'ok' }] } }));
  assert.deepEqual(doc.healthchecks, {
    web: [{ type: 'startup', path: '/health', content: 'ok', attempts: 5, timeout: 5, wait: 2, initialDelay: 0 }],
  });
});

test('given values win, numeric strings are accepted, several checks and process types are kept', () => {
  const doc = parseAppJson(
    JSON.stringify({
      healthchecks: {
        web: [
          { path: '/ready', attempts: 3, timeout: '10', wait: 1, initialDelay: 4 },
          { type: 'liveness', path: '/live' },
        ],
        api: [{ path: '/' }],
      },
    }),
  );
  assert.deepEqual(doc.healthchecks.web?.[0], { path: '/ready', attempts: 3, timeout: 10, wait: 1, initialDelay: 4 });
  assert.equal(doc.healthchecks.web?.[1]?.type, 'liveness');
  assert.equal(doc.healthchecks.api?.[0]?.path, '/');
});

test('a check without a path checks "/"', () => {
  assert.equal(parseAppJson('{"healthchecks":{"web":[{"type":"startup"}]}}').healthchecks.web?.[0]?.path, '/');
});

for (const [check, pattern] of [
  [{ path: 'health' }, /healthchecks\.web\[0\]\.path: expected a path starting with "\/"/],
  [{ path: '/', attempts: 0 }, /attempts: expected a number ≥ 1/],
  [{ path: '/', timeout: 'soon' }, /timeout: expected a number/],
  [{ path: '/', wait: -1 }, /wait: expected a number ≥ 0/],
  [{ path: '/', type: 'sometimes' }, /type: expected one of startup, liveness, readiness/],
  [{ command: ['curl', 'x'] }, /command checks are not supported/],
  [{ path: '/', content: 42 }, /content: expected a string/],
  ['not an object', /healthchecks\.web\[0\]: expected an object/],
] as const) {
  test(`a bad healthcheck is refused with its location: ${JSON.stringify(check)}`, () => {
    assert.throws(() => parseAppJson(JSON.stringify({ healthchecks: { web: [check] } })), userError(pattern));
  });
}

test('healthchecks must map process types to lists', () => {
  assert.throws(() => parseAppJson('{"healthchecks":[]}'), userError(/healthchecks: expected an object/));
  assert.throws(() => parseAppJson('{"healthchecks":{"web":{"path":"/"}}}'), userError(/healthchecks\.web: expected a list/));
});

test('scripts: Dokku\'s scripts.dokku.* and Heroku\'s top-level scripts.*; Dokku\'s wins', () => {
  assert.deepEqual(parseAppJson('{"scripts":{"postdeploy":"./seed"}}').scripts, { postdeploy: './seed' });
  assert.deepEqual(parseAppJson('{"scripts":{"dokku":{"predeploy":"./migrate","postdeploy":"./warm"}}}').scripts, {
    predeploy: './migrate',
    postdeploy: './warm',
  });
  assert.deepEqual(parseAppJson('{"scripts":{"postdeploy":"heroku","dokku":{"postdeploy":"dokku"}}}').scripts, { postdeploy: 'dokku' });
  assert.throws(() => parseAppJson('{"scripts":{"dokku":{"predeploy":""}}}'), userError(/scripts\.dokku\.predeploy: expected a command/));
  assert.throws(() => parseAppJson('{"scripts":{"predeploy":["a"]}}'), userError(/scripts\.predeploy/));
});

test('env: strings, {value} objects and scalars; entries with no value set nothing', () => {
  const doc = parseAppJson(
    JSON.stringify({
      env: { A: 'one', B: { value: 'two', description: 'b' }, C: { required: true }, D: 3, E: true, F: { value: 4 } },
    }),
  );
  assert.deepEqual(doc.env, { A: 'one', B: 'two', D: '3', E: 'true', F: '4' });
  assert.throws(() => parseAppJson('{"env":{"BAD-NAME":"x"}}'), userError(/not a valid variable name/));
  assert.throws(() => parseAppJson('{"env":{"A":["x"]}}'), userError(/env\.A: expected a string/));
});

test('unknown keys (name, formation, buildpacks) are ignored', () => {
  assert.deepEqual(parseAppJson('{"name":"x","formation":{"web":{"quantity":2}},"buildpacks":[]}'), {
    healthchecks: {},
    scripts: {},
    env: {},
  });
});

test('invalid JSON is a UserError with line and column', () => {
  assert.throws(() => parseAppJson('{\n  "env": {\n    "A": "x",\n  }\n}'), userError(/^app\.json line 4 column 3: invalid JSON/));
  assert.throws(() => parseAppJson('{"a": tru}'), userError(/^app\.json line 1 column \d+: invalid JSON/));
});

test('a top level that is not an object is refused', () => {
  assert.throws(() => parseAppJson('[]'), userError(/top level must be a JSON object/));
  assert.throws(() => parseAppJson('null'), userError(/top level must be a JSON object/));
});

test('the JSON error position points at the offending character', async () => {
  const { jsonErrorPosition } = await import('../../../src/build/app-json.js');
  assert.equal(jsonErrorPosition('{"a": tru}'), 6);
  assert.equal(jsonErrorPosition('{"a": 1,}'), 8);
  assert.equal(jsonErrorPosition('[1, 2'), 5);
  assert.equal(jsonErrorPosition('{"a": "x"} extra'), 11);
  assert.equal(jsonErrorPosition("{'a': 1}"), 1);
  assert.equal(jsonErrorPosition(''), 0);
});

test('cron entries (Dokku): command and schedule, checked', async () => {
  const { parseAppJson } = await import('../../../src/build/app-json.js');
  assert.deepEqual(parseAppJson('{"cron": [{"command": "python3 job.py", "schedule": "*/5 * * * *"}]}').cron, [{ command: 'python3 job.py', schedule: '*/5 * * * *' }]);
  assert.throws(() => parseAppJson('{"cron": [{"command": "x", "schedule": "every day"}]}'), /app\.json cron\[0\]\.schedule: "every day" has 2 fields/);
  assert.throws(() => parseAppJson('{"cron": {"command": "x"}}'), /app\.json cron: expected a list/);
  assert.equal(parseAppJson('{}').cron, undefined);
});
