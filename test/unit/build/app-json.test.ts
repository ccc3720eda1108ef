// app.json parsing: Dokku healthchecks with defaults, deploy scripts, env, formation, comments,
// and JSON errors with positions.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseAppJson } from '../../../src/build/app-json.js';
import { UserError } from '../../../src/errors.js';

const userError = (pattern: RegExp) => (e: unknown) => e instanceof UserError && pattern.test(e.message);

test('an empty object means no checks, scripts or env', () => {
  assert.deepEqual(parseAppJson('{}'), { healthchecks: {}, scripts: {}, env: {}, formation: null });
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

test('scripts: Dokku\'s scripts.dokku.predeploy/postdeploy run every deploy; Heroku\'s scripts.postdeploy once', () => {
  assert.deepEqual(parseAppJson('{"scripts":{"postdeploy":"./seed"}}').scripts, { firstDeploy: './seed' });
  assert.deepEqual(parseAppJson('{"scripts":{"postdeploy":{"command":"./seed","size":"basic"}}}').scripts, { firstDeploy: './seed' });
  assert.deepEqual(parseAppJson('{"scripts":{"dokku":{"predeploy":"./migrate","postdeploy":"./warm"}}}').scripts, {
    predeploy: './migrate',
    postdeploy: './warm',
  });
  assert.deepEqual(parseAppJson('{"scripts":{"postdeploy":"heroku","dokku":{"postdeploy":"dokku"}}}').scripts, {
    postdeploy: 'dokku',
    firstDeploy: 'heroku',
  });
  // Neither Heroku nor Dokku has a top-level predeploy: it is not run.
  assert.deepEqual(parseAppJson('{"scripts":{"predeploy":"./x","pr-predestroy":"./y"}}').scripts, {});
  assert.throws(() => parseAppJson('{"scripts":{"dokku":{"predeploy":""}}}'), userError(/scripts\.dokku\.predeploy: expected a command/));
  assert.throws(() => parseAppJson('{"scripts":{"postdeploy":["a"]}}'), userError(/scripts\.postdeploy: expected a command/));
});

test('env: values, required (default true), generator secret and sync', () => {
  const doc = parseAppJson(
    JSON.stringify({
      env: {
        A: 'one',
        B: { value: 'two', description: 'b' },
        C: { description: 'must be set' },
        D: 3,
        E: { value: 'x', required: false },
        F: { generator: 'secret' },
        G: { value: 'v', sync: true },
      },
    }),
  );
  assert.deepEqual(doc.env, {
    A: { value: 'one', required: true, sync: false },
    B: { value: 'two', required: true, sync: false },
    C: { required: true, sync: false },
    D: { value: '3', required: true, sync: false },
    E: { value: 'x', required: false, sync: false },
    F: { generator: 'secret', required: true, sync: false },
    G: { value: 'v', required: true, sync: true },
  });
  assert.throws(() => parseAppJson('{"env":{"BAD-NAME":"x"}}'), userError(/not a valid variable name/));
  assert.throws(() => parseAppJson('{"env":{"A":["x"]}}'), userError(/env\.A: expected a string/));
  assert.throws(() => parseAppJson('{"env":{"A":{"generator":"echo 5"}}}'), userError(/env\.A\.generator: only "secret" is supported/));
  assert.throws(() => parseAppJson('{"env":{"A":{"required":"yes"}}}'), userError(/env\.A\.required: expected true or false/));
});

test('formation: quantities per process type, Dokku\'s defaults for a type listed without one', () => {
  assert.deepEqual(parseAppJson('{"formation":{"worker":{"quantity":2},"web":{"quantity":0},"clock":{},"api":{"size":"x"},"www":{}}}').formation, {
    worker: 2,
    web: 0,
    clock: 0,
    api: 0,
    www: 0,
  });
  assert.deepEqual(parseAppJson('{"formation":{"web":{"max_parallel":1}}}').formation, { web: 1 });
  assert.throws(() => parseAppJson('{"formation":{"worker":{"quantity":-1}}}'), userError(/formation\.worker\.quantity: expected a whole number 0–100/));
  assert.throws(() => parseAppJson('{"formation":{"worker":{"quantity":"2"}}}'), userError(/formation\.worker\.quantity/));
  assert.throws(() => parseAppJson('{"formation":{"Worker_1":{"quantity":1}}}'), userError(/formation\.Worker_1: "Worker_1" is not a process type name/));
  assert.throws(() => parseAppJson('{"formation":[1]}'), userError(/formation: expected an object/));
});

test('unknown keys (name, buildpacks, addons) are ignored', () => {
  assert.deepEqual(parseAppJson('{"name":"x","addons":["redis"],"buildpacks":[]}'), {
    healthchecks: {},
    scripts: {},
    env: {},
    formation: null,
  });
});

test('// and /* */ comments are accepted, also around and between values; "//" inside strings stays', () => {
  const doc = parseAppJson(`{
    // the app's checks
    "healthchecks": { "web": [ { "path": "/health" /* fast */ } ] },
    /* several
       lines */
    "env": { "URL": "https://example.com//x" } // trailing
  }`);
  assert.equal(doc.healthchecks.web?.[0]?.path, '/health');
  assert.equal(doc.env.URL?.value, 'https://example.com//x');
});

test('with comments, errors still name the line and column as written', () => {
  assert.throws(() => parseAppJson('{\n  // a comment\n  "env": { "A": "x", }\n}'), userError(/^app\.json line 3 column 22: invalid JSON/));
  assert.throws(() => parseAppJson('{ /* never closed\n "a": 1 }'), userError(/^app\.json line 1 column 3: a \/\* comment is never closed/));
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
  const { jsonErrorPosition } = await import('../../../src/build/json-text.js');
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
