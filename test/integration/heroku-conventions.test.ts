// Heroku- and Dokku-style apps deploy unchanged, pushed with real git: a Procfile app runs only
// web until scaled, its release command once; app.json (with comments) sets the formation, env
// defaults and deploy scripts; `slipway run` runs one-offs; config flags behave as Dokku's.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { repoFrom, pushUrl, type Repo } from '../helpers/git.js';
import { getViaProxy } from '../helpers/http.js';
import { ROOT, startTestServer, type TestServer } from '../helpers/server.js';

const FIXTURES = path.join(ROOT, 'test/fixtures/apps');
let s: TestServer;

interface PsRow { service: string; name: string | null; release: string; state: string }

before(async () => {
  s = await startTestServer();
});
after(async () => {
  await s?.stop();
});

const createApp = (prefix: string) => s.createApp(prefix);

const push = (repo: Repo, app: string) => repo.push(pushUrl(s.url, s.token, app));
const served = async (app: string) => (await getViaProxy(s.config.httpPort, `${app}.${s.config.appsDomain}`)).body;
const psJson = async (app: string) => JSON.parse((await s.cli(['ps', app, '--json'])).stdout) as PsRow[];
const running = (rows: PsRow[]) => rows.filter((r) => r.state === 'running').map((r) => r.service).sort();

async function eventually(what: string, check: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  assert.fail(`never happened: ${what}`);
}

test('a Procfile app with web, worker, a one-shot task and release: only web runs, scaling starts the worker, release ran once', async () => {
  const app = await createApp('procfile');
  const repo = await repoFrom(path.join(FIXTURES, 'procfile-formation'));
  await repo.commit('first');
  const pushed = await push(repo, app);
  assert.equal(pushed.code, 0, pushed.output);
  assert.match(pushed.output, /Running release command: node release\.js[\s\S]*release phase ran for v1/);
  assert.match(pushed.output, /v1: worker is scaled to 0 \(slipway scale \S+ worker=1 starts it\)/);
  assert.match(pushed.output, /v1: task is scaled to 0/);
  assert.match(await served(app), /^web v1 /);

  // ps shows what runs and the types at 0.
  const rows = await psJson(app);
  assert.deepEqual(running(rows), ['web']);
  assert.deepEqual(rows.filter((r) => r.state === 'scaled to 0').map((r) => r.service).sort(), ['task', 'worker']);
  assert.match((await s.cli(['ps', app])).stdout, /worker\s+-\s+-\s+v1\s+scaled to 0/);

  // Scaling starts the worker, with no release phase (nothing to migrate).
  const scaled = await s.cli(['scale', app, 'worker=1']);
  assert.equal(scaled.code, 0, scaled.stdout + scaled.stderr);
  assert.doesNotMatch(scaled.stdout, /release phase ran/);
  assert.deepEqual(running(await psJson(app)), ['web', 'worker']);
  await eventually('the release command ran once in all, the worker started', async () => {
    const deployOutput = (await s.cli(['logs', app, '--service', 'deploy', '-n', '1000'])).stdout;
    const worker = (await s.cli(['logs', app, '--service', 'worker'])).stdout;
    return (deployOutput.match(/release phase ran/g) ?? []).length === 1 && /worker v2 started/.test(worker);
  });

  // scale --no-deploy: saved, no release and no container now; the next push runs it.
  const saved = await s.cli(['scale', '--no-deploy', app, 'web=2']);
  assert.equal(saved.code, 0, saved.stdout + saved.stderr);
  assert.match(saved.stdout, /Scale web=2: saved; it applies to the next deploy/);
  assert.equal((await s.cli(['releases', app, '--json'])).stdout.match(/"version"/g)?.length, 2, 'no release was made');
  assert.equal((await psJson(app)).filter((r) => r.service === 'web' && r.state === 'running').length, 1);

  // The next push keeps worker=1, takes web=2 and runs the release phase for the new code.
  await repo.commit('second');
  const again = await push(repo, app);
  assert.equal(again.code, 0, again.output);
  assert.match(again.output, /release phase ran for v3/);
  const after = await psJson(app);
  assert.deepEqual(running(after), ['web', 'web', 'worker']);
});

test('a Procfile or app.json that Dokku refuses fails the push at once, naming the line (and column); the serving release stays', async () => {
  const app = await createApp('strict');
  const repo = await repoFrom(path.join(FIXTURES, 'procfile-formation'));
  await repo.commit('first');
  assert.equal((await push(repo, app)).code, 0);

  // procfile-util --strict: a repeated type, a bad name, a line that is not "name: command".
  const procfile = (extra: string) => `# comment\n\nweb: node server.js\n// another comment\n${extra}\n`;
  const cases: [string, RegExp][] = [
    ['web: node other.js', /Procfile line 5: process type "web" is declared twice \(first on line 3\)/],
    ['Worker_1: node worker.js', /Procfile line 5: process type "Worker_1" is not a valid name/],
    ['just a command', /Procfile line 5: expected "name: command"/],
  ];
  for (const [line, message] of cases) {
    await repo.commit(`bad Procfile: ${line}`, { Procfile: procfile(line) });
    const refused = await push(repo, app);
    assert.notEqual(refused.code, 0, refused.output);
    assert.match(refused.output, message);
    assert.doesNotMatch(refused.output, /Building /, 'refused before any build');
  }

  // app.json with comments: an error names its line and column in the file as written.
  const appJson = '{\n  // formation below\n  "formation": { /* web only */ "web": { "quantity": 1 } }\n  "env": { "A": { "value": "x" } }\n}\n';
  await repo.commit('bad app.json', { Procfile: procfile('worker: node worker.js'), 'app.json': appJson });
  const badJson = await push(repo, app);
  assert.notEqual(badJson.code, 0, badJson.output);
  assert.match(badJson.output, /app\.json line 4 column 3: invalid JSON/);

  // Nothing of that reached the running app; fixed, the push deploys.
  assert.match(await served(app), /^web v1 /);
  assert.equal((await s.cli(['releases', app, '--json'])).stdout.match(/"version"/g)?.length, 1);
  await repo.commit('fixed', { 'app.json': appJson.replace('} }\n  "env"', '} },\n  "env"') });
  const fixed = await push(repo, app);
  assert.equal(fixed.code, 0, fixed.output);
  const version = /Deployed (v\d+)/.exec(fixed.output)?.[1];
  assert.ok(version && version !== 'v1', fixed.output);
  assert.match(await served(app), new RegExp(`^web ${version} `));
});

test('a compose app keeps its deploy.replicas: the first-deploy rule and app.json formation are for Procfile apps', async () => {
  const app = await createApp('compose');
  const dir = path.join(FIXTURES, 'compose-app');
  const compose = readFileSync(path.join(dir, 'docker-compose.yml'), 'utf8').replace('command: ["node", "worker.js"]', 'command: ["node", "worker.js"]\n    deploy:\n      replicas: 2');
  assert.match(compose, /replicas: 2/);
  const repo = await repoFrom(dir, { 'docker-compose.yml': compose, 'app.json': '{ "formation": { "worker": { "quantity": 0 } } }\n' });
  await repo.commit('first');
  const pushed = await push(repo, app);
  assert.equal(pushed.code, 0, pushed.output);
  assert.deepEqual(running(await psJson(app)), ['web', 'worker', 'worker']);
  const scaled = await s.cli(['scale', app, 'worker=1']);
  assert.equal(scaled.code, 0, scaled.stdout + scaled.stderr);
  assert.deepEqual(running(await psJson(app)), ['web', 'worker']);
});

test('app.json with comments: required env first, defaults and a secret once, its formation, Dokku and Heroku scripts', async () => {
  const app = await createApp('appjson');
  const repo = await repoFrom(path.join(FIXTURES, 'appjson-formation'));
  await repo.commit('first');

  // A required key with no value fails the first deploy naming it; nothing was started.
  const refused = await push(repo, app);
  assert.notEqual(refused.code, 0, refused.output);
  assert.match(refused.output, /app\.json env: DATABASE_URL is required and has no value/);

  // --no-deploy stores it (there is no release to make yet anyway), then the push deploys.
  const stored = await s.cli(['config:set', '--no-deploy', app, 'DATABASE_URL=postgres://db/x']);
  assert.equal(stored.code, 0, stored.stderr);
  assert.match(stored.stdout, /saved; it applies to the first deploy/);
  const pushed = await push(repo, app);
  assert.equal(pushed.code, 0, pushed.output);
  assert.match(pushed.output, /app\.json env: set GREETING \(default\), SECRET_KEY_BASE \(generated secret\)/);
  assert.match(pushed.output, /Running predeploy command[\s\S]*predeploy in the new image v\d+[\s\S]*switched to blue/);
  assert.match(pushed.output, /dokku postdeploy ran[\s\S]*postdeploy command failed with exit code 3[\s\S]*stays live/);
  assert.match(pushed.output, /heroku postdeploy seeded the database/);
  assert.match(await served(app), /greeting=hello from app\.json/);
  assert.deepEqual(running(await psJson(app)), ['web', 'worker'], 'formation: web 1, worker 1, task 0');

  const secret = (await s.cli(['config:get', app, 'SECRET_KEY_BASE'])).stdout.trim();
  assert.match(secret, /^[0-9a-f]{64}$/);

  // While app.json has a formation, scale is refused, saying why.
  const scale = await s.cli(['scale', app, 'worker=2']);
  assert.notEqual(scale.code, 0);
  assert.match(scale.stderr, /app\.json has a "formation"/);

  // A second push: the secret is kept, Heroku's postdeploy does not run again, Dokku's does.
  await repo.commit('second');
  const again = await push(repo, app);
  assert.equal(again.code, 0, again.output);
  assert.doesNotMatch(again.output, /heroku postdeploy/);
  assert.match(again.output, /dokku postdeploy ran/);
  assert.equal((await s.cli(['config:get', app, 'SECRET_KEY_BASE'])).stdout.trim(), secret);
  assert.deepEqual(running(await psJson(app)), ['web', 'worker'], 'the formation again on the next deploy');

  // The formation applies on every deploy: a push that changes it changes what runs.
  const text = readFileSync(path.join(repo.dir, 'app.json'), 'utf8').replace('"worker": { "quantity": 1 }', '"worker": { "quantity": 2 }');
  await repo.commit('two workers', { 'app.json': text });
  const third = await push(repo, app);
  assert.equal(third.code, 0, third.output);
  assert.deepEqual(running(await psJson(app)), ['web', 'worker', 'worker']);
});

test('slipway run: live output, the exit code, the service\'s config; --detach ships its lines; config flags', async () => {
  const app = await createApp('run');
  const repo = await repoFrom(path.join(FIXTURES, 'procfile-formation'));
  await repo.commit('first');
  assert.equal((await push(repo, app)).code, 0);

  // --encoded values are base64; --no-deploy makes no release.
  const encoded = Buffer.from('hi there; $not expanded').toString('base64');
  const set = await s.cli(['config:set', '--encoded', '--no-deploy', app, `GREETING=${encoded}`]);
  assert.equal(set.code, 0, set.stderr);
  assert.match(set.stdout, /Set GREETING: saved; it applies to the next deploy/);
  assert.equal((await s.cli(['config:get', app, 'GREETING'])).stdout, 'hi there; $not expanded\n');
  assert.equal((await s.cli(['releases', app, '--json'])).stdout.match(/"version"/g)?.length, 1, 'no release was made');
  const missing = await s.cli(['config:get', app, 'NOPE']);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /NOPE is not set/);

  // run uses the serving release (v1: no GREETING yet), streams, returns the exit code.
  const run = await s.cli(['run', app, '--', 'echo "greeting=${GREETING:-unset} release=$SLIPWAY_RELEASE"; echo to-stderr >&2; exit 7']);
  assert.equal(run.code, 7, run.stdout + run.stderr);
  assert.match(run.stdout, /greeting=unset release=v1/);
  assert.match(run.stdout, /to-stderr/);
  const argv = await s.cli(['run', app, '--service', 'worker', '--', 'node', '-e', 'console.log(process.env.SLIPWAY_SERVICE, process.argv.length)']);
  assert.equal(argv.code, 0, argv.stdout + argv.stderr);
  assert.match(argv.stdout, /^worker 1$/m);
  const noService = await s.cli(['run', app, '--service', 'nope', '--', 'true']);
  assert.notEqual(noService.code, 0);
  assert.match(noService.stderr, /has no service nope \(services: web, worker, task\)/);

  // The config change reaches the next release, and run sees it there.
  assert.equal((await s.cli(['config:set', app, 'OTHER=1'])).code, 0);
  assert.match((await s.cli(['run', app, '--', 'echo "$GREETING"'])).stdout, /hi there; \$not expanded/);

  // Detached: the id comes back, the lines reach the log store, the container goes away.
  const detached = await s.cli(['run', '--detach', app, '--', 'echo detached-run-says-hello; sleep 1']);
  assert.equal(detached.code, 0, detached.stderr);
  const id = detached.stdout.trim();
  assert.match(id, /^[0-9a-f]{64}$/);
  await eventually('the detached run\'s line is in slipway logs', async () => /detached-run-says-hello/.test((await s.cli(['logs', app, '--service', 'run'])).stdout));
  await eventually('the detached run is removed after it ended', async () => !(await psJson(app)).some((r) => r.service === 'run'));
});
