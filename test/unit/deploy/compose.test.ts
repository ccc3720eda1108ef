// parseCompose: every problem names file, line, column and key; Slipway refuses what it can't run.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseCompose, type ComposeOptions } from '../../../src/deploy/compose.js';
import { UserError } from '../../../src/errors.js';
import { REFUSED_SERVICE_KEYS } from '../../../src/deploy/compose-rules.js';

const base: ComposeOptions = { allowHostBinds: false, allowPrivileged: false };
const parse = (text: string, o: Partial<ComposeOptions> = {}) => parseCompose(text, 'compose.yaml', { ...base, ...o });

/** The problem lines of the UserError a compose file is refused with. */
function problems(text: string, o: Partial<ComposeOptions> = {}): string[] {
  try {
    parse(text, o);
  } catch (e) {
    assert.ok(e instanceof UserError, `expected a UserError, got ${String(e)}`);
    return e.message.split('\n').slice(1);
  }
  return assert.fail('expected the compose file to be refused');
}

/** A one-service file; `lines` are the service's keys, written at line 4 onwards. */
const web = (...lines: string[]) => ['services:', '  web:', '    image: app', ...lines.map((l) => `    ${l}`)].join('\n') + '\n';

test('a file with hundreds of problems lists the first 50 in file order and counts the rest', () => {
  const lines = problems(web(...Array.from({ length: 120 }, (_, i) => `unknown_${i}: ${i}`)));
  assert.equal(lines.length, 51);
  assert.match(lines[0]!, /^compose\.yaml:4:5: services\.web\.unknown_0: /);
  assert.match(lines[49]!, /^compose\.yaml:53:5: services\.web\.unknown_49: /);
  assert.equal(lines[50], '… and 70 more problems (fix these and push again to see them)');
});

test('a key written twice is a YAML error wherever it is, however many keys its map has', () => {
  const many = web(...Array.from({ length: 2000 }, (_, i) => `x-k${i}: ${i}`), 'x-k7: again');
  assert.throws(() => parse(many), /compose\.yaml:2004:5: YAML syntax: Map keys must be unique/);
});

test('a minimal file gives one service', () => {
  const app = parse('services:\n  web:\n    image: nginx\n');
  assert.equal(app.services.length, 1);
  assert.equal(app.services[0]!.name, 'web');
  assert.equal(app.services[0]!.image, 'nginx');
  assert.deepEqual(app.warnings, []);
});

test('YAML syntax errors name the line and column', () => {
  assert.throws(() => parse('services:\n  web:\n    image: [app\n'), (e: Error) => {
    assert.ok(e instanceof UserError);
    assert.match(e.message, /^compose\.yaml is not valid YAML:\ncompose\.yaml:\d+:\d+: YAML syntax: /);
    return true;
  });
  assert.throws(() => parse('services:\n  web:\n    image: a\n    image: b\n'), /compose\.yaml:4:5: YAML syntax: .*[Uu]nique/);
});

test('a file that is not a map is refused', () => {
  assert.throws(() => parse('- web\n'), /compose\.yaml: must be a YAML map with a `services:` key/);
  assert.throws(() => parse(''), /must be a YAML map/);
});

test('schema errors name the key and line, and say they come from the Compose Specification', () => {
  assert.deepEqual(problems(web('ports: "80"')), ['compose.yaml:4:5: services.web.ports: must be a list (Compose Specification)']);
  assert.deepEqual(problems(web('colour: blue')), ['compose.yaml:4:5: services.web.colour: unknown key: not in the Compose Specification']);
  assert.deepEqual(problems(web('depends_on: [1]')), ['compose.yaml:4:18: services.web.depends_on[0]: must be a string (Compose Specification)']);
  assert.deepEqual(problems(web('environment: "A=1"')), ['compose.yaml:4:5: services.web.environment: must be a map or a list (Compose Specification)']);
  assert.deepEqual(problems(web('ports:', '  - {target: 80, colour: red}')), ['compose.yaml:5:22: services.web.ports[0].colour: unknown key: not in the Compose Specification']);
  assert.deepEqual(problems(web('depends_on:', '  db: {condition: sometime}') + '  db:\n    image: pg\n'), ['compose.yaml:5:12: services.web.depends_on.db.condition: must be one of: service_started, service_healthy, service_completed_successfully (Compose Specification)']);
  assert.deepEqual(problems('services:\n  "my web":\n    image: a\n'), ['compose.yaml:2:3: services.my web: not a valid name (letters, digits, ".", "_", "-") (Compose Specification)']);
});

test('every problem is reported at once, in file order, under one header', () => {
  const text = ['services:', '  web:', '    image: app', '    privileged: true', '    links: [db]', '  db:', '    image: postgres', '    extra_hosts: ["h:1.2.3.4"]', 'networks:', '  front: {}'].join('\n');
  assert.throws(() => parse(text), (e: Error) => {
    assert.equal(
      e.message,
      [
        'compose.yaml: 4 problems to fix before Slipway can deploy it:',
        'compose.yaml:4:5: services.web.privileged: not allowed (set SLIPWAY_ALLOW_PRIVILEGED=1 to allow)',
        'compose.yaml:5:5: services.web.links: not supported by Slipway: services of one app reach each other by service name on the app network; remove it',
        "compose.yaml:8:5: services.db.extra_hosts: not supported by Slipway: containers resolve names through Docker's DNS; put addresses in the app config instead",
        'compose.yaml:9:1: networks: not supported by Slipway: each app gets one network of its own and services of one app reach each other by service name on the app network; remove it',
      ].join('\n'),
    );
    return true;
  });
});

const refusedKeys: Record<string, string> = {
  links: '[db]',
  external_links: '[other]',
  networks: '[front]',
  extra_hosts: '["h:1.2.3.4"]',
  container_name: 'my-web',
  hostname: 'web1',
  domainname: 'example.com',
  secrets: '[token]',
  configs: '[nginx]',
  devices: '["/dev/fuse"]',
  volumes_from: '[other]',
  extends: '{service: base}',
  profiles: '[debug]',
  mem_reservation: '1g',
  logging: '{driver: json-file}',
  ipc: 'host',
  security_opt: '["no-new-privileges"]',
  userns_mode: 'host',
  cgroup_parent: 'x',
  sysctls: '{net.core.somaxconn: 1024}',
  ulimits: '{nofile: 1024}',
  tmpfs: '/tmp',
  stop_signal: 'SIGINT',
  platform: 'linux/amd64',
  pull_policy: 'always',
  tty: 'true',
  stdin_open: 'true',
  read_only: 'true',
  cap_drop: '[ALL]',
  shm_size: '1g',
  dns: '8.8.8.8',
  oom_score_adj: '100',
  gpus: 'all',
  runtime: 'runc',
};

for (const [key, value] of Object.entries(refusedKeys)) {
  test(`"${key}" is refused by name and line, never ignored`, () => {
    const lines = problems(web(`${key}: ${value}`));
    assert.equal(lines.length, 1, lines.join('\n'));
    assert.match(lines[0]!, new RegExp(`^compose\\.yaml:4:5: services\\.web\\.${key}: not supported by Slipway`));
  });
}

test('every key with a specific refusal reason is covered above', () => {
  assert.deepEqual(Object.keys(REFUSED_SERVICE_KEYS).filter((k) => !(k in refusedKeys)), []);
});

test('an unsupported key without a specific reason lists the supported keys', () => {
  assert.match(problems(web('tty: true'))[0]!, /\(supported keys: build, image, command, .*working_dir, user, init, env_file\)$/);
});

test('extension keys (x-…) are accepted and ignored, at the top and in a service', () => {
  const app = parse('x-notes: hello\nservices:\n  web:\n    image: a\n    x-owner: me\n');
  assert.equal(app.services.length, 1);
});

for (const [key, value] of [['privileged', 'true'], ['cap_add', '[NET_ADMIN]'], ['pid', 'host'], ['network_mode', 'host']] as const) {
  test(`"${key}: ${value}" needs SLIPWAY_ALLOW_PRIVILEGED`, () => {
    const text = ['services:', '  agent:', '    image: monitor', `    ${key}: ${value}`].join('\n');
    assert.deepEqual(problems(text), [`compose.yaml:4:5: services.agent.${key}: not allowed (set SLIPWAY_ALLOW_PRIVILEGED=1 to allow)`]);
    const allowed = parse(text, { allowPrivileged: true }).services[0]!.hostAccess;
    assert.ok(allowed);
    assert.equal(
      key === 'privileged' ? allowed.privileged : key === 'cap_add' ? allowed.capAdd[0] === 'NET_ADMIN' : key === 'pid' ? allowed.pidHost : allowed.networkHost,
      true,
    );
  });
}

test('privileged: false and an empty cap_add need no permission', () => {
  const s = parse(web('privileged: false', 'cap_add: []')).services[0]!;
  assert.equal(s.hostAccess, undefined);
});

test('other pid and network_mode values are refused even when privileged is allowed', () => {
  assert.match(problems(web('pid: "service:db"'), { allowPrivileged: true })[0]!, /^compose\.yaml:4:5: services\.web\.pid: not supported by Slipway/);
  assert.match(problems(web('network_mode: bridge'), { allowPrivileged: true })[0]!, /^compose\.yaml:4:5: services\.web\.network_mode: not supported by Slipway/);
});

test('a web service cannot use host networking, even when allowed', () => {
  assert.match(problems(web('network_mode: host'), { allowPrivileged: true })[0]!, /services\.web\.network_mode: a web service cannot use host networking/);
});

test('top-level networks, secrets, configs, include and unknown keys are refused', () => {
  const text = 'services:\n  web:\n    image: a\nsecrets:\n  token: {file: ./t}\nconfigs:\n  c: {file: ./c}\ninclude: [other.yaml]\n';
  const lines = problems(text);
  assert.match(lines[0]!, /^compose\.yaml:4:1: secrets: not supported by Slipway; set values with `slipway config:set APP KEY=VALUE`/);
  assert.match(lines[1]!, /^compose\.yaml:6:1: configs: not supported by Slipway: put the file in the image/);
  assert.match(lines[2]!, /^compose\.yaml:8:1: include: not supported by Slipway/);
  assert.match(problems('services:\n  web:\n    image: a\nstuff: 1\n')[0]!, /^compose\.yaml:4:1: stuff: unknown key: not in the Compose Specification/);
});

test('version and name are accepted; version warns that it is obsolete', () => {
  const app = parse('version: "3.8"\nname: shop\nservices:\n  web:\n    image: a\n');
  assert.deepEqual(app.warnings, ['compose.yaml:1:1: version: obsolete in the Compose Specification and ignored; remove it']);
});

test('services are required and must not be empty', () => {
  assert.deepEqual(problems('volumes:\n  data: {}\n'), ['compose.yaml:1:1: declare at least one service under `services:`']);
  assert.deepEqual(problems('services: {}\n'), ['compose.yaml:1:1: services: declare at least one service under `services:`']);
});

test('service names must be usable as container and DNS names', () => {
  assert.match(problems('services:\n  Web_App:\n    image: a\n')[0]!, /^compose\.yaml:2:3: services\.Web_App: service names must be 1–63 characters of a-z/);
  assert.match(problems('services:\n  web.1:\n    image: a\n')[0]!, /services\.web\.1: service names must be/);
});

test('named volumes must be declared at the top level, on the local driver', () => {
  const ok = parse('services:\n  db:\n    image: pg\n    volumes: ["data:/var/lib/pg:ro"]\nvolumes:\n  data:\n    driver: local\n');
  assert.deepEqual(ok.volumes, ['data']);
  assert.deepEqual(ok.services[0]!.volumes, [{ source: 'data', target: '/var/lib/pg', readOnly: true, bind: false }]);
  assert.match(problems(web('volumes: ["data:/d"]'))[0]!, /^compose\.yaml:4:15: services\.web\.volumes\[0\]: volume "data" is not declared under top-level `volumes:`/);
  assert.match(problems(web('volumes: ["/cache"]'))[0]!, /services\.web\.volumes\[0\]: anonymous volumes are not supported: name it/);
  const top = problems('services:\n  web:\n    image: a\nvolumes:\n  data:\n    driver: nfs\n  ext:\n    external: true\n  opts:\n    driver_opts: {type: none, o: bind, device: /etc}\n');
  assert.deepEqual(top, [
    'compose.yaml:6:5: volumes.data.driver: only the local driver is supported by Slipway, not "nfs"',
    'compose.yaml:8:5: volumes.ext.external: not supported by Slipway (supported under volumes.ext: driver)',
    'compose.yaml:10:5: volumes.opts.driver_opts: not supported by Slipway (supported under volumes.opts: driver)',
  ]);
});

test('host bind mounts need SLIPWAY_ALLOW_HOST_BINDS and an absolute path', () => {
  assert.deepEqual(problems(web('volumes:', '  - /srv/data:/data')), [
    'compose.yaml:5:9: services.web.volumes[0]: host bind mounts are not allowed (set SLIPWAY_ALLOW_HOST_BINDS=1 to allow, or use a named volume)',
  ]);
  assert.deepEqual(parse(web('volumes:', '  - /srv/data:/data:ro'), { allowHostBinds: true }).services[0]!.volumes, [
    { source: '/srv/data', target: '/data', readOnly: true, bind: true },
  ]);
  assert.match(problems(web('volumes: ["./data:/data"]'), { allowHostBinds: true })[0]!, /the host path "\.\/data" must be absolute: the repository checkout is removed/);
  assert.match(problems(web('volumes:', '  - {type: bind, source: /etc, target: /x}'))[0]!, /host bind mounts are not allowed/);
});

test('volume long syntax: named volumes work; tmpfs and relative targets are refused', () => {
  const app = parse('services:\n  web:\n    image: a\n    volumes:\n      - {type: volume, source: data, target: /d, read_only: true}\nvolumes: {data: {}}\n');
  assert.deepEqual(app.services[0]!.volumes, [{ source: 'data', target: '/d', readOnly: true, bind: false }]);
  assert.match(problems(web('volumes:', '  - {type: tmpfs, target: /tmp}'))[0]!, /volume type "tmpfs" is not supported by Slipway/);
  assert.match(problems(web('volumes: ["data:relative"]')+ 'volumes: {data: {}}\n')[0]!, /target "relative" must be an absolute path/);
  assert.match(problems(web('volumes: ["data:/d:z"]') + 'volumes: {data: {}}\n')[0]!, /mode "z"/);
});

test('depends_on naming an unknown service or itself is refused at its line', () => {
  const text = 'services:\n  web:\n    image: a\n    depends_on: [db, cache]\n  db:\n    image: pg\n    depends_on:\n      db: {condition: service_started}\n';
  assert.deepEqual(problems(text), [
    'compose.yaml:4:22: services.web.depends_on[1]: unknown service "cache" (services: web, db)',
    'compose.yaml:8:7: services.db.depends_on.db: a service cannot depend on itself',
  ]);
});

test('a dependency cycle is refused, naming the cycle', () => {
  const text = 'services:\n  a:\n    image: x\n    depends_on: [b]\n  b:\n    image: x\n    depends_on: [c]\n  c:\n    image: x\n    depends_on: [a]\n';
  assert.deepEqual(problems(text), ['compose.yaml:4:18: services.a.depends_on[0]: dependency cycle: a → b → c → a']);
});

test('depends_on with required: false is refused; conditions are kept', () => {
  const lines = problems('services:\n  web:\n    image: a\n    depends_on:\n      db: {condition: service_started, required: false}\n  db:\n    image: pg\n');
  assert.match(lines[0]!, /services\.web\.depends_on\.db\.required: optional dependencies are not supported/);
  const app = parse('services:\n  web:\n    image: a\n    depends_on:\n      db: {condition: service_healthy}\n  db:\n    image: pg\n');
  assert.deepEqual(app.services[0]!.dependsOn.map(({ service, condition }) => ({ service, condition })), [{ service: 'db', condition: 'service_healthy' }]);
});

test('interpolation uses the app config; a required variable missing is refused at its line', () => {
  const app = parse(web('environment:', '  DB: postgres://${DB_HOST:-localhost}/app', '  TAG: ${TAG}'), { vars: { DB_HOST: 'db' } });
  assert.deepEqual(app.services[0]!.environment, { DB: 'postgres://db/app', TAG: '' });
  assert.deepEqual(app.warnings, ["compose.yaml:6:7: services.web.environment.TAG: TAG is not set in the app's config; using an empty string"]);
  assert.deepEqual(problems(web('environment:', '  SECRET: ${SECRET:?run slipway config:set}')), [
    'compose.yaml:5:7: services.web.environment.SECRET: required variable SECRET is not set: run slipway config:set',
  ]);
  assert.match(problems(web('command: echo 5$'))[0]!, /^compose\.yaml:4:5: services\.web\.command: invalid interpolation/);
});

test('interpolated values are checked after substitution', () => {
  const text = web('deploy:', '  replicas: ${WEB_REPLICAS:-2}', 'mem_limit: ${MEM}');
  const s = parse(text, { vars: { MEM: '1g' } }).services[0]!;
  assert.equal(s.replicas, 2);
  assert.equal(s.memoryBytes, 1024 ** 3);
  assert.match(problems(text, { vars: { MEM: 'a lot' } })[0]!, /^compose\.yaml:6:5: services\.web\.mem_limit: "a lot" is not a memory size/);
});

test('environment as a list: KEY=VALUE, and KEY alone from the app config', () => {
  const app = parse(web('environment:', '  - A=1', '  - B=x=y', '  - FROM_CONFIG', '  - NOT_SET'), { vars: { FROM_CONFIG: 'c' } });
  // Named keys take the config's value when each container starts (so config:set reaches them).
  assert.deepEqual(app.services[0]!.environment, { A: '1', B: 'x=y' });
  assert.deepEqual(app.services[0]!.configKeys, ['FROM_CONFIG', 'NOT_SET']);
  assert.match(app.warnings[0]!, /^compose\.yaml:4:5: services\.web\.environment: NOT_SET is not set in the app's config; it is left out until `slipway config:set APP NOT_SET=…`$/);
});

test('environment as a map: values become strings, KEY: with no value comes from config', () => {
  const app = parse(web('environment:', '  N: 3', '  B: true', '  C:'), { vars: { C: 'from-config' } });
  assert.deepEqual(app.services[0]!.environment, { N: '3', B: 'true' });
  assert.deepEqual(app.services[0]!.configKeys, ['C']);
});

test('commands: a string is split into words, a list is kept', () => {
  const s = parse(web(`command: bundle exec "rails server" -p 3000`, 'entrypoint: ["/bin/tini", "--"]')).services[0]!;
  assert.deepEqual(s.command, ['bundle', 'exec', 'rails server', '-p', '3000']);
  assert.deepEqual(s.entrypoint, ['/bin/tini', '--']);
  assert.match(problems(web(`command: echo "unclosed`))[0]!, /^compose\.yaml:4:5: services\.web\.command: unclosed " quote/);
});

test('healthcheck: string and list tests, Docker defaults, durations in seconds', () => {
  const s = parse(web('healthcheck:', '  test: curl -f http://localhost/ || exit 1', '  interval: 1m30s', '  start_period: 500ms')).services[0]!;
  assert.deepEqual(s.healthcheck, { kind: 'docker', test: ['CMD-SHELL', 'curl -f http://localhost/ || exit 1'], interval: 90, timeout: 30, retries: 3, startPeriod: 0.5 });
  const l = parse(web('healthcheck:', '  test: ["CMD", "pg_isready"]', '  retries: "5"', '  timeout: 2s')).services[0]!;
  assert.deepEqual(l.healthcheck, { kind: 'docker', test: ['CMD', 'pg_isready'], interval: 30, timeout: 2, retries: 5, startPeriod: 0 });
});

test('healthcheck: disable and NONE turn it off; a missing or odd test is refused', () => {
  assert.deepEqual(parse(web('healthcheck: {disable: true}')).services[0]!.healthcheck, { kind: 'none' });
  assert.deepEqual(parse(web('healthcheck: {test: [NONE]}')).services[0]!.healthcheck, { kind: 'none' });
  assert.match(problems(web('healthcheck: {interval: 5s}'))[0]!, /services\.web\.healthcheck\.test: required: Slipway does not use the image's HEALTHCHECK/);
  assert.match(problems(web('healthcheck: {test: [curl, x]}'))[0]!, /services\.web\.healthcheck\.test: must be a string \(run by a shell\)/);
  assert.match(problems(web('healthcheck:', '  test: [CMD, x]', '  interval: soon'))[0]!, /^compose\.yaml:6:7: services\.web\.healthcheck\.interval: "soon" is not a duration/);
  assert.match(problems(web('healthcheck:', '  test: [CMD, x]', '  start_interval: 1s'))[0]!, /^compose\.yaml:6:7: services\.web\.healthcheck\.start_interval: not supported by Slipway \(supported under services\.web\.healthcheck: test, interval/);
});

test('deploy: replicas and resource limits; other deploy keys are refused by name', () => {
  const s = parse(web('deploy:', '  replicas: 3', '  resources:', '    limits: {memory: 256M, cpus: "1.5"}', 'cpu_shares: 512')).services[0]!;
  assert.equal(s.replicas, 3);
  assert.equal(s.memoryBytes, 256 * 1024 * 1024);
  assert.equal(s.nanoCpus, 1_500_000_000);
  assert.equal(s.cpuShares, 512);
  assert.match(problems(web('deploy:', '  update_config: {order: start-first}'))[0]!, /^compose\.yaml:5:7: services\.web\.deploy\.update_config: not supported by Slipway \(supported under services\.web\.deploy: replicas, resources, placement, restart_policy\)/);
  assert.match(problems(web('deploy:', '  resources:', '    limits: {pids: 10}'))[0]!, /services\.web\.deploy\.resources\.limits\.pids: not supported by Slipway/);
});

test('deploy: placement, reservations and restart_policy are kept for the swarm; one host says what it ignores', () => {
  const text = web(
    'deploy:',
    '  placement:',
    '    constraints: [node.role==worker, "node.labels.zone != a"]',
    '    max_replicas_per_node: 1',
    '  resources:',
    '    reservations: {memory: 128m, cpus: "0.25"}',
    '  restart_policy: {condition: on-failure, delay: 5s, max_attempts: 3, window: 1m}',
  );
  const single = parse(text);
  const s = single.services[0]!;
  assert.deepEqual(s.placement, { constraints: ['node.role==worker', 'node.labels.zone != a'], maxReplicasPerNode: 1 });
  assert.deepEqual(s.reservations, { memoryBytes: 128 * 1024 * 1024, nanoCpus: 250_000_000 });
  assert.deepEqual(s.restartPolicy, { condition: 'on-failure', delaySeconds: 5, maxAttempts: 3, windowSeconds: 60 });
  assert.equal(s.restart, 'on-failure', 'one host follows the policy\'s condition');
  assert.equal(single.warnings.length, 2);
  assert.match(single.warnings.join('\n'), /placement applies on a swarm/);
  assert.match(single.warnings.join('\n'), /a CPU reservation only steers placement on a swarm/);
  assert.deepEqual(parse(text, { engine: 'swarm' }).warnings, []);

  assert.match(problems(web('deploy: {placement: {constraints: [node.hostname]}}'))[0]!, /services\.web\.deploy\.placement\.constraints\[0\]: "node\.hostname" is not a placement constraint/);
  assert.match(problems(web('deploy: {restart_policy: {condition: sometimes}}'))[0]!, /services\.web\.deploy\.restart_policy\.condition: must be none, on-failure or any/);
  assert.match(problems(web('restart: always', 'deploy: {restart_policy: {condition: none}}'))[0]!, /services\.web\.restart: conflicts with deploy\.restart_policy/);
});

test('two spellings of one limit must agree', () => {
  assert.match(problems(web('mem_limit: 1g', 'deploy: {resources: {limits: {memory: 512m}}}'))[0]!, /^compose\.yaml:4:5: services\.web\.mem_limit: conflicts with the value under deploy:/);
  assert.equal(parse(web('mem_limit: 1g', 'deploy: {resources: {limits: {memory: 1024m}}}')).services[0]!.memoryBytes, 1024 ** 3);
  assert.match(problems(web('scale: 2', 'deploy: {replicas: 3}'))[0]!, /services\.web\.scale: conflicts/);
});

test('replicas: deploy.replicas, then scale, then the slipway.scale label, then 1', () => {
  assert.equal(parse(web('deploy: {replicas: 4}', 'labels: {slipway.scale: "2"}')).services[0]!.replicas, 4);
  assert.equal(parse(web('scale: 3')).services[0]!.replicas, 3);
  assert.equal(parse(web('labels: {slipway.scale: "2"}')).services[0]!.replicas, 2);
  assert.equal(parse(web()).services[0]!.replicas, 1);
  assert.equal(parse(web('deploy: {replicas: 0}')).services[0]!.replicas, 0);
});

test('labels steer Slipway; slipway.* labels are consumed, others kept', () => {
  const s = parse(web('labels:', '  - com.example.team=shop', '  - slipway.role=worker', '  - "slipway.logs.files=/app/log/*.log, /var/log/app/*.txt"')).services[0]!;
  assert.equal(s.role, 'worker');
  assert.deepEqual(s.labels, { 'com.example.team': 'shop' });
  assert.deepEqual(s.logFiles, ['/app/log/*.log', '/var/log/app/*.txt']);
  assert.match(problems(web('labels: {slipway.role: db}'))[0]!, /^compose\.yaml:4:14: services\.web\.labels\.slipway\.role: must be web or worker/);
  assert.match(problems(web('labels: {slipway.scael: "2"}'))[0]!, /services\.web\.labels\.slipway\.scael: unknown Slipway label \(known: slipway\.role, slipway\.scale, slipway\.logs\.files, slipway\.autoscale\.\*, slipway\.job, /);
  assert.match(problems(web('labels: {slipway.scale: two}'))[0]!, /slipway\.scale: must be a whole number/);
  assert.match(problems(web('labels: {slipway.logs.files: "log/*.log"}'))[0]!, /must be comma-separated absolute globs .* \(not log\/\*\.log\)/);
});

test('role: web by name or ports, worker otherwise; expose alone keeps a service internal', () => {
  const app = parse('services:\n  web:\n    image: a\n  api:\n    image: a\n    ports: ["3000"]\n  db:\n    image: pg\n    expose: ["5432"]\n  jobs:\n    image: a\n');
  assert.deepEqual(app.services.map((s) => [s.name, s.role, s.ports]), [['web', 'web', []], ['api', 'web', [3000]], ['db', 'worker', [5432]], ['jobs', 'worker', []]]);
});

test('host ports are ignored with a warning: Slipway routes traffic itself', () => {
  const app = parse(web('ports: ["8080:3000", "9229"]'));
  assert.deepEqual(app.services[0]!.ports, [3000, 9229]);
  assert.deepEqual(app.warnings, ['compose.yaml:4:13: services.web.ports: host ports are ignored; Slipway routes traffic to the container port itself']);
});

test('restart: the four policies; a retry count warns; default unless-stopped', () => {
  assert.equal(parse(web('restart: "no"')).services[0]!.restart, 'no');
  assert.equal(parse(web('restart: always')).services[0]!.restart, 'always');
  assert.equal(parse(web()).services[0]!.restart, 'unless-stopped');
  const app = parse(web('restart: on-failure:3'));
  assert.equal(app.services[0]!.restart, 'on-failure');
  assert.match(app.warnings[0]!, /services\.web\.restart: the retry count is not supported/);
  assert.match(problems(web('restart: sometimes'))[0]!, /^compose\.yaml:4:5: services\.web\.restart: must be one of: no, always, on-failure, unless-stopped/);
});

test('a one-shot service others wait for is not restarted once it exits', () => {
  const app = parse('services:\n  migrate:\n    build: .\n  web:\n    build: .\n    depends_on:\n      migrate: {condition: service_completed_successfully}\n');
  assert.equal(app.services.find((s) => s.name === 'migrate')!.restart, 'no');
});

test('build: the repository root only; an image beside build names the build, not a pull', () => {
  assert.equal(parse('services:\n  web:\n    build: .\n    image: shop/web\n').services[0]!.image, undefined);
  assert.equal(parse('services:\n  web:\n    build: {context: ./, dockerfile: Dockerfile}\n').services[0]!.image, undefined);
  assert.match(problems('services:\n  web:\n    build: ./api\n')[0]!, /^compose\.yaml:3:5: services\.web\.build: Slipway builds one image per app from the repository root/);
  assert.match(problems('services:\n  web:\n    build:\n      context: .\n      args: {A: 1}\n')[0]!, /^compose\.yaml:5:7: services\.web\.build\.args: not supported by Slipway \(supported under services\.web\.build: context, dockerfile\)/);
  assert.match(problems('services:\n  web:\n    build: {context: ., dockerfile: Dockerfile.prod}\n')[0]!, /services\.web\.build\.dockerfile: Slipway builds the Dockerfile at the repository root/);
});

test('working_dir, user and stop_grace_period are carried over', () => {
  const s = parse(web('working_dir: /srv', 'user: "1000:1000"', 'stop_grace_period: 1m')).services[0]!;
  assert.equal(s.workingDir, '/srv');
  assert.equal(s.user, '1000:1000');
  assert.equal(s.stopGraceSeconds, 60);
  assert.equal(parse(web('stop_grace_period: 1500ms')).services[0]!.stopGraceSeconds, 2);
  assert.equal(parse(web()).services[0]!.stopGraceSeconds, 10);
});

test('keys merged from a YAML anchor are checked, and reported where the anchor writes them', () => {
  const text = 'x-common: &common\n  privileged: true\n  restart: always\nservices:\n  web:\n    <<: *common\n    image: a\n';
  assert.deepEqual(problems(text), ['compose.yaml:2:3: services.web.privileged: not allowed (set SLIPWAY_ALLOW_PRIVILEGED=1 to allow)']);
  const ok = parse('x-common: &common\n  restart: always\nservices:\n  web:\n    <<: *common\n    image: a\n');
  assert.equal(ok.services[0]!.restart, 'always');
});

test('init: false turns off the init process; unset leaves the default (on)', () => {
  assert.equal(parse(web('init: false')).services[0]!.init, false);
  assert.equal(parse(web()).services[0]!.init, undefined);
});

test('env_file values are read from the repo; environment wins over them, later files over earlier', () => {
  const files: Record<string, string> = {
    '.env': '# shared\nexport A=from-env\nB="two words\\n"\nC=\'$literal\'\nD=plain # comment\nFROM_CONFIG\n',
    'web.env': 'A=from-web-env\n',
  };
  const app = parse(web('env_file: [.env, ./web.env, {path: missing.env, required: false}]', 'environment: {D: from-environment}'), {
    readFile: (p) => files[p] ?? null,
    vars: { FROM_CONFIG: 'config-value' },
  });
  assert.deepEqual(app.services[0]!.environment, { A: 'from-web-env', B: 'two words\n', C: '$literal', D: 'from-environment' });
  // A key named alone that an env file provides is not reported missing.
  const named = parse(web('env_file: web.env', 'environment: [A]'), { readFile: (p) => files[p] ?? null });
  assert.deepEqual(named.warnings, []);
  assert.deepEqual(named.services[0]!.configKeys, ['A']);
});

test('env_file problems name the file, the line, and what is wrong', () => {
  const lines = problems(web('env_file: [../secret.env, absent.env, bad.env]'), { readFile: (p) => (p === 'bad.env' ? 'OK=1\nnot a line\n' : null) });
  assert.deepEqual(lines, [
    'compose.yaml:4:16: services.web.env_file[0]: "../secret.env": env files must be paths inside the repository',
    'compose.yaml:4:31: services.web.env_file[1]: absent.env is not in the repository (mark it `required: false` if it is optional)',
    'compose.yaml:4:43: services.web.env_file[2]: bad.env line 2: expected KEY=VALUE, got "not a line"',
  ]);
});

test('an env file with an unclosed quote is refused with its line', () => {
  const files: Record<string, string> = { 'q.env': 'OK=1\nA="open\n', 's.env': "B='open\n" };
  const lines = problems(web('env_file: [q.env, s.env]'), { readFile: (p) => files[p] ?? null });
  assert.match(lines[0]!, /services\.web\.env_file\[0\]: q\.env line 2: the double quote is not closed$/);
  assert.match(lines[1]!, /services\.web\.env_file\[1\]: s\.env line 1: the single quote is not closed$/);
});

test('on a swarm, jobs, schedules and autoscaling labels are taken as on one host', () => {
  const job = web('labels: {slipway.job: "true", slipway.schedule: "* * * * * *"}');
  assert.equal(parse(job).services[0]!.role, 'job');
  const onSwarm = parse(job, { engine: 'swarm' });
  assert.deepEqual([onSwarm.services[0]!.role, onSwarm.warnings], ['job', []]);
  const scaled = web('labels: {slipway.autoscale.max_cpu: "70"}');
  assert.deepEqual(parse(scaled).warnings, []);
  const scaledOnSwarm = parse(scaled, { engine: 'swarm' });
  assert.equal(scaledOnSwarm.services[0]!.autoscale?.maxCpu, 70);
  assert.deepEqual(scaledOnSwarm.warnings, []);
});
