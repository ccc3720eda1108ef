// servicesFor / releaseCommand / startOrder: what a repo says to run becomes a release's services.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { AppJson, HttpHealthCheck, ServiceSpec } from '../../../src/domain.js';
import { UserError } from '../../../src/errors.js';
import { DEFAULT_PORT, releaseCommand, servicesFor, startOrder, type ServiceInputs } from '../../../src/deploy/services.js';

const fixture = (name: string) => ({ file: name, text: readFileSync(new URL(`../../fixtures/compose/${name}`, import.meta.url), 'utf8') });
const opts = { allowHostBinds: false, allowPrivileged: false };
const built = (over: Partial<ServiceInputs> = {}): ServiceInputs => ({ processes: {}, appJson: null, compose: null, exposedPort: null, ...over });
const compose = (text: string) => ({ file: 'compose.yaml', text });
const byName = (specs: ServiceSpec[]) => Object.fromEntries(specs.map((s) => [s.name, s]));
const check: HttpHealthCheck = { path: '/health', attempts: 5, timeout: 5, wait: 2, initialDelay: 0 };
const appJson = (healthchecks: AppJson['healthchecks']): AppJson => ({ healthchecks, scripts: {}, env: {}, formation: null });

test('a web + worker + redis compose file becomes three services', () => {
  const warnings: string[] = [];
  const specs = servicesFor(built({ compose: fixture('web-worker-volume.yaml'), exposedPort: 8000 }), { DATABASE_URL: 'postgres://db/shop' }, { ...opts, warn: (l) => warnings.push(l) });
  assert.deepEqual(specs.map((s) => s.name), ['web', 'worker', 'redis']);
  const { web, worker, redis } = byName(specs);
  assert.deepEqual(web, {
    name: 'web',
    role: 'web',
    command: ['node', 'server.js', '--port', '3000'],
    environment: { PORT: '3000', NODE_ENV: 'production', REDIS_URL: 'redis://redis:6379' },
    configKeys: ['DATABASE_URL'],
    port: 3000,
    replicas: 2,
    health: { kind: 'port' },
    volumes: [],
    dependsOn: [{ service: 'redis', condition: 'service_healthy' }],
    memoryBytes: 512 * 1024 * 1024,
    nanoCpus: 500_000_000,
    restart: 'unless-stopped',
    labels: { 'com.example.team': 'shop' },
    stopGraceSeconds: 30,
    logFiles: ['/app/log/*.log'],
  });
  assert.deepEqual(worker, {
    name: 'worker',
    role: 'worker',
    command: ['node', 'worker.js'],
    environment: { NODE_ENV: 'production', REDIS_URL: 'redis://redis:6379', QUEUE: 'default' },
    configKeys: ['DATABASE_URL'],
    replicas: 3,
    health: { kind: 'none' },
    volumes: [],
    dependsOn: [{ service: 'redis', condition: 'service_started' }],
    restart: 'unless-stopped',
    labels: {},
    stopGraceSeconds: 10,
    logFiles: [],
  });
  assert.equal(redis!.image, 'redis:7');
  assert.equal(redis!.role, 'worker');
  assert.equal(redis!.port, 6379);
  assert.deepEqual(redis!.volumes, [{ source: 'redis-data', target: '/data', readOnly: false, bind: false }]);
  assert.deepEqual(redis!.health, { kind: 'docker', test: ['CMD', 'redis-cli', 'ping'], interval: 5, timeout: 2, retries: 10, startPeriod: 90 });
  assert.deepEqual(startOrder(specs), [['redis'], ['web', 'worker']]);
  assert.deepEqual(warnings, ['web-worker-volume.yaml:18:9: services.web.ports: host ports are ignored; Slipway routes traffic to the container port itself']);
});

test('a migration service runs first and is not restarted after it exits', () => {
  const specs = servicesFor(built({ compose: fixture('migrate-then-web.yml') }), {}, opts);
  const { migrate, web } = byName(specs);
  assert.equal(migrate!.restart, 'no');
  assert.equal(migrate!.role, 'worker');
  assert.deepEqual(migrate!.command, ['npm', 'run', 'migrate']);
  assert.equal(web!.restart, 'unless-stopped');
  assert.deepEqual(startOrder(specs), [['migrate'], ['web']]);
});

test('compose interpolation reads the app config', () => {
  const [s] = servicesFor(built({ compose: compose('services:\n  web:\n    image: "nginx:${NGINX_TAG:-1.25}"\n') }), { NGINX_TAG: '1.27' }, opts);
  assert.equal(s!.image, 'nginx:1.27');
});

test('a bad compose file throws one UserError listing its problems', () => {
  assert.throws(
    () => servicesFor(built({ compose: compose('services:\n  web:\n    build: .\n    links: [db]\n    privileged: true\n') }), {}, opts),
    (e: Error) => e instanceof UserError && e.message.split('\n').length === 3 && /compose\.yaml:4:5: services\.web\.links/.test(e.message),
  );
});

test('compose web port: ports, then expose, then the image EXPOSE for the app image, then 5000', () => {
  const text = 'services:\n  web:\n    build: .\n  admin:\n    build: .\n    expose: ["4000"]\n    labels: {slipway.role: web}\n  proxy:\n    image: nginx\n    labels: {slipway.role: web}\n';
  const { web, admin, proxy } = byName(servicesFor(built({ compose: compose(text), exposedPort: 8080 }), {}, opts));
  assert.equal(web!.port, 8080);
  assert.equal(web!.environment.PORT, '8080');
  assert.equal(admin!.port, 4000);
  assert.equal(proxy!.port, DEFAULT_PORT);
  const [noExpose] = servicesFor(built({ compose: compose('services:\n  web:\n    build: .\n') }), {}, opts);
  assert.equal(noExpose!.port, 5000);
});

test('a PORT the compose file sets itself is kept', () => {
  const [s] = servicesFor(built({ compose: compose('services:\n  web:\n    build: .\n    ports: ["3000"]\n    environment: {PORT: "3000", A: b}\n') }), {}, opts);
  assert.deepEqual(s!.environment, { PORT: '3000', A: 'b' });
});

test('health: compose healthcheck, else app.json checks for the service, else port for web, none for workers', () => {
  const text = 'services:\n  web:\n    build: .\n  api:\n    build: .\n    ports: ["3000"]\n  jobs:\n    build: .\n  db:\n    image: pg\n    healthcheck: {test: [CMD, pg_isready]}\n  off:\n    build: .\n    ports: ["1"]\n    healthcheck: {disable: true}\n';
  const specs = byName(servicesFor(built({ compose: compose(text), appJson: appJson({ api: [check], jobs: [check] }) }), {}, opts));
  assert.deepEqual(specs.web!.health, { kind: 'port' });
  assert.deepEqual(specs.api!.health, { kind: 'http', checks: [check] });
  assert.deepEqual(specs.jobs!.health, { kind: 'http', checks: [check] });
  assert.equal(specs.db!.health.kind, 'docker');
  assert.deepEqual(specs.off!.health, { kind: 'none' });
});

test('waiting for service_healthy on a service without a health check is refused at its line', () => {
  const text = 'services:\n  web:\n    build: .\n    depends_on:\n      cache: {condition: service_healthy}\n  cache:\n    image: memcached\n';
  assert.throws(() => servicesFor(built({ compose: compose(text) }), {}, opts), {
    message: 'compose.yaml: 1 problem to fix before Slipway can deploy it:\ncompose.yaml:5:7: services.web.depends_on.cache: condition service_healthy, but cache has no health check (add a `healthcheck:` to cache)',
  });
  // An app.json check counts as a health check.
  const ok = servicesFor(built({ compose: compose(text), appJson: appJson({ cache: [check] }) }), {}, opts);
  assert.equal(ok.length, 2);
});

test('with a compose file the Procfile types are not run, and the user is told', () => {
  const warnings: string[] = [];
  const specs = servicesFor(
    built({ compose: compose('services:\n  web:\n    build: .\n'), processes: { web: 'npm start', release: 'npm run migrate' } }),
    {},
    { ...opts, warn: (l) => warnings.push(l) },
  );
  assert.equal(specs.length, 1);
  assert.deepEqual(specs[0]!.command, undefined);
  assert.deepEqual(warnings, ['Procfile: process types are not run because compose.yaml declares the services (a release command still runs)']);
});

test('Procfile: one service per process type, run through sh -c so $PORT expands; only web runs at first; release is not a service', () => {
  const specs = servicesFor(built({ processes: { web: 'node server.js --port $PORT', worker: 'node worker.js', release: 'npm run migrate' }, exposedPort: 3000 }), {}, opts);
  assert.deepEqual(specs, [
    {
      name: 'web',
      role: 'web',
      command: ['sh', '-c', 'node server.js --port $PORT'],
      environment: { PORT: '3000' },
      port: 3000,
      replicas: 1,
      health: { kind: 'port' },
      volumes: [],
      dependsOn: [],
      restart: 'unless-stopped',
      labels: {},
      stopGraceSeconds: 10,
      logFiles: [],
    },
    {
      name: 'worker',
      role: 'worker',
      command: ['sh', '-c', 'node worker.js'],
      environment: {},
      replicas: 0,
      health: { kind: 'none' },
      volumes: [],
      dependsOn: [],
      restart: 'unless-stopped',
      labels: {},
      stopGraceSeconds: 10,
      logFiles: [],
    },
  ]);
});

test('Procfile web without an EXPOSE listens on 5000; app.json checks apply by process type', () => {
  const [web, clock] = servicesFor(built({ processes: { web: 'gunicorn app:app', clock: 'python clock.py' }, appJson: appJson({ web: [check] }) }), {}, opts);
  assert.equal(web!.port, 5000);
  assert.deepEqual(web!.environment, { PORT: '5000' });
  assert.deepEqual(web!.health, { kind: 'http', checks: [check] });
  assert.equal(clock!.role, 'worker');
  assert.equal(clock!.port, undefined);
});

test('a Procfile without web has no web service', () => {
  const specs = servicesFor(built({ processes: { worker: 'node worker.js' } }), {}, opts);
  assert.deepEqual(specs.map((s) => [s.name, s.role]), [['worker', 'worker']]);
});

test('app.json formation sets every process type\'s replicas; a type it does not list gets 0', () => {
  const processes = { web: 'a', worker: 'b', task: 'c', release: 'd' };
  const specs = servicesFor(built({ processes, appJson: { ...appJson({}), formation: { worker: 2 } } }), {}, opts);
  assert.deepEqual(specs.map((s) => [s.name, s.replicas]), [['web', 0], ['worker', 2], ['task', 0]]);
});

test('app.json formation naming a type the Procfile lacks is refused, listing the types', () => {
  assert.throws(
    () => servicesFor(built({ processes: { web: 'a' }, appJson: { ...appJson({}), formation: { wroker: 1 } } }), {}, opts),
    (e: unknown) => e instanceof UserError && /formation names "wroker", which the Procfile does not declare \(process types: web\)/.test(e.message),
  );
});

test('a compose app keeps its replicas: app.json formation is not applied, and the user is told', () => {
  const warnings: string[] = [];
  const specs = servicesFor(
    built({ compose: compose('services:\n  web:\n    image: x\n    deploy:\n      replicas: 2\n'), appJson: { ...appJson({}), formation: { web: 5 } } }),
    {},
    { ...opts, warn: (l) => warnings.push(l) },
  );
  assert.equal(specs[0]!.replicas, 2);
  assert.ok(warnings.some((w) => /app\.json formation is not applied/.test(w)), warnings.join('\n'));
});

test('no compose file and no Procfile (or only release): one web service running the image command', () => {
  for (const processes of [{}, { release: 'npm run migrate' }] as Record<string, string>[]) {
    const specs = servicesFor(built({ processes, exposedPort: 8080 }), {}, opts);
    assert.equal(specs.length, 1);
    assert.equal(specs[0]!.name, 'web');
    assert.equal(specs[0]!.role, 'web');
    assert.equal(specs[0]!.command, undefined);
    assert.equal(specs[0]!.port, 8080);
    assert.deepEqual(specs[0]!.environment, { PORT: '8080' });
    assert.deepEqual(specs[0]!.health, { kind: 'port' });
  }
});

test('releaseCommand is the Procfile release line, or null', () => {
  assert.equal(releaseCommand({ web: 'x', release: '  npm run migrate ' }), 'npm run migrate');
  assert.equal(releaseCommand({ web: 'x' }), null);
  assert.equal(releaseCommand({ release: '   ' }), null);
});

const node = (name: string, ...deps: string[]) => ({ name, dependsOn: deps.map((service) => ({ service, condition: 'service_started' as const })) });

test('startOrder: layers by depends_on, keeping the declared order within a layer', () => {
  assert.deepEqual(startOrder([node('web', 'db', 'cache'), node('worker', 'db'), node('db'), node('cache'), node('admin', 'web')]), [
    ['db', 'cache'],
    ['web', 'worker'],
    ['admin'],
  ]);
  assert.deepEqual(startOrder([node('a'), node('b')]), [['a', 'b']]);
  assert.deepEqual(startOrder([]), []);
});

test('startOrder ignores dependencies on services that are not in the release', () => {
  assert.deepEqual(startOrder([node('web', 'gone')]), [['web']]);
});

test('startOrder refuses a cycle, naming it', () => {
  assert.throws(() => startOrder([node('a', 'b'), node('b', 'c'), node('c', 'a'), node('d')]), (e: Error) => e instanceof UserError && e.message === 'services depend on each other in a cycle: a → b → c → a');
  assert.throws(() => startOrder([node('a', 'a')]), /cycle: a → a/);
});
