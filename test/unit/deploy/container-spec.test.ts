// What Docker is asked to run for a replica or a one-off: names, env, labels, limits, mounts,
// health and log rotation, as data.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { serviceSpec } from '../../helpers/specs.js';
import { logFileMounts } from '../../../src/logs/file-mounts.js';
import { replicaIndex } from '../../../src/deploy/resize.js';
import {
  appNetworkName,
  containerCreateOptions,
  containerName,
  legacyVolumeName,
  oneOffCreateOptions,
  oneOffName,
  volumeName,
  type ServiceContainerInput,
} from '../../../src/deploy/container-spec.js';

const release = { version: 7, imageRef: '127.0.0.1:5000/demo@sha256:abc', config: { DATABASE_URL: 'postgres://db/x', SHARED: 'from-config' } };

const service = serviceSpec;

const input = (over: Partial<ServiceContainerInput> = {}): ServiceContainerInput => ({ app: 'demo', release, service: service(), color: 'blue', index: 1, ...over });
const envOf = (list: string[]) => Object.fromEntries(list.map((e) => [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)]));

test('container, network and volume names are scoped to the app', () => {
  assert.equal(containerName('demo', 'web', 'blue', 1), 'slipway_demo_web_blue_1');
  assert.equal(containerName('demo', 'web', 'green', 2), 'slipway_demo_web_green_2');
  assert.equal(containerName('demo', 'worker', 7, 1), 'slipway_demo_worker_v7_1');
  assert.equal(appNetworkName('demo'), 'slipway-demo');
  assert.equal(volumeName('demo', 'data'), 'slipway_demo_data');
});

test('names of two apps never meet, though app and service names contain "-" (app foo + bar-web vs app foo-bar + web)', () => {
  assert.notEqual(containerName('foo', 'bar-web', 'blue', 1), containerName('foo-bar', 'web', 'blue', 1));
  assert.notEqual(volumeName('foo', 'bar-data'), volumeName('foo-bar', 'data'));
  // The old names did: this is what the `_` separator fixes.
  assert.equal(legacyVolumeName('foo', 'bar-data'), legacyVolumeName('foo-bar', 'data'));
  // Every name an app's parts can make, across a few apps, services, slots and volumes: no two
  // containers and no two volumes are called the same (Docker keeps the two kinds apart).
  const apps = ['a', 'a-b', 'a-b-c', 'b'];
  const parts = ['b', 'b-c', 'c', 'b_c', 'web', 'blue', 'v1', '1', 'b_blue_1', 'b_blue_1_0', 'release'];
  const seen = new Map<string, string>();
  const add = (name: string, what: string) => {
    const key = `${what.split(' ')[0] === 'container' || what.startsWith('one-off') ? 'container' : 'volume'}:${name}`;
    assert.ok(!seen.has(key) || seen.get(key) === what, `${what} and ${seen.get(key)} are both ${name}`);
    seen.set(key, what);
  };
  for (const app of apps)
    for (const p of parts) {
      for (const slot of ['blue', 'green', 1, 12] as const)
        for (const i of [1, 2, 12]) {
          const c = containerName(app, p, slot, i);
          add(c, `container ${app}/${p}/${slot}/${i}`);
          add(logFileMounts(c, ['/l/*.log'])[0]!.volume, `log volume of ${app}/${p}/${slot}/${i}`);
        }
      add(volumeName(app, p), `volume ${app}/${p}`);
      add(volumeName(app, `${p}.x`), `volume ${app}/${p}.x`);
      for (const kind of ['release', 'run'] as const) add(oneOffName(app, kind, 1, p), `one-off ${app}/${kind}/${p}`);
    }
  for (const key of seen.keys()) assert.match(key.slice(key.indexOf(':') + 1), /^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/, 'Docker name rule');
});

test('a web replica runs the release image, named by color and index', () => {
  const o = containerCreateOptions(input({ color: 'green', index: 2 }));
  assert.equal(o.name, 'slipway_demo_web_green_2');
  assert.equal(o.Image, release.imageRef);
  assert.equal(o.Cmd, undefined);
  assert.equal(o.Entrypoint, undefined);
});

test('a worker is named after its release and carries no color', () => {
  const o = containerCreateOptions(input({ service: service({ name: 'worker', role: 'worker', port: undefined, health: { kind: 'none' } }), color: null }));
  assert.equal(o.name, 'slipway_demo_worker_v7_1');
  // Empty, not absent: an image's `LABEL slipway.color=blue` would otherwise reach the container.
  assert.equal(o.Labels['slipway.color'], '');
  assert.equal(o.Labels['slipway.kind'], 'worker');
  assert.equal(envOf(o.Env).PORT, undefined);
});

test('a compose image: runs instead of the release image', () => {
  assert.equal(containerCreateOptions(input({ service: service({ image: 'redis:7' }) })).Image, 'redis:7');
});

test('env: app config, then PORT, then the service environment, then Slipway facts', () => {
  const o = containerCreateOptions(input({ service: service({ environment: { SHARED: 'from-service', NODE_ENV: 'production' } }), index: 3 }));
  const env = envOf(o.Env);
  assert.equal(env.DATABASE_URL, 'postgres://db/x');
  assert.equal(env.SHARED, 'from-service');
  assert.equal(env.NODE_ENV, 'production');
  assert.equal(env.PORT, '3000');
  assert.equal(env.SLIPWAY_RELEASE, 'v7');
  assert.equal(env.SLIPWAY_SERVICE, 'web');
  assert.equal(env.SLIPWAY_CONTAINER, 'web.3');
  assert.equal(env.SLIPWAY_APP, 'demo');
});

test('a web service without a port gets PORT=5000; a compose PORT wins over the default', () => {
  assert.equal(envOf(containerCreateOptions(input({ service: service({ port: undefined }) })).Env).PORT, '5000');
  assert.equal(envOf(containerCreateOptions(input({ service: service({ environment: { PORT: '8080' } }) })).Env).PORT, '8080');
});

test('extraEnv is applied last', () => {
  const env = envOf(containerCreateOptions(input({ extraEnv: { SLIPWAY_RELEASE: 'x', EXTRA: '1' } })).Env);
  assert.equal(env.SLIPWAY_RELEASE, 'x');
  assert.equal(env.EXTRA, '1');
});

test('values with = and newlines survive in Env', () => {
  const o = containerCreateOptions(input({ release: { ...release, config: { Q: 'a=b=c', M: 'l1\nl2' } } }));
  assert.ok(o.Env.includes('Q=a=b=c'));
  assert.ok(o.Env.includes('M=l1\nl2'));
});

test('labels: Slipway labels identify the container and cannot be overridden by the service', () => {
  const o = containerCreateOptions(input({ service: service({ labels: { 'com.example.team': 'shop', 'slipway.app': 'other', 'slipway.release': '1' } }) }));
  assert.deepEqual(o.Labels, {
    'com.example.team': 'shop',
    'slipway.app': 'demo',
    'slipway.service': 'web',
    'slipway.release': '7',
    'slipway.role': 'web',
    'slipway.kind': 'web',
    'slipway.color': 'blue',
  });
});

test('declared log files get a volume per directory, and no label (the shipper reads the stored release)', () => {
  const o = containerCreateOptions(input({ service: service({ logFiles: ['/app/log/*.log', '/app/log/*.txt', '/var/log/x/*.log'] }) }));
  assert.equal(o.Labels['slipway.logs.files'], undefined);
  assert.deepEqual(logFileMounts(o.name, ['/app/log/*.log', '/app/log/*.txt', '/var/log/x/*.log']), [
    { volume: 'slipway-logs_demo_web_blue_1_0', target: '/app/log', pattern: '*.log,*.txt' },
    { volume: 'slipway-logs_demo_web_blue_1_1', target: '/var/log/x', pattern: '*.log' },
  ]);
  const logMounts = o.HostConfig.Mounts.filter((m) => m.Source.startsWith('slipway-logs_'));
  assert.deepEqual(
    logMounts.map((m) => [m.Type, m.Source, m.Target, m.ReadOnly, m.VolumeOptions?.Labels['slipway.app']]),
    [
      ['volume', 'slipway-logs_demo_web_blue_1_0', '/app/log', false, 'demo'],
      ['volume', 'slipway-logs_demo_web_blue_1_1', '/var/log/x', false, 'demo'],
    ],
  );
});

test('named volumes are scoped to the app; binds pass through as declared', () => {
  const o = containerCreateOptions(
    input({
      service: service({
        volumes: [
          { source: 'data', target: '/data', readOnly: false, bind: false },
          { source: '/srv/shared', target: '/shared', readOnly: true, bind: true },
        ],
      }),
    }),
  );
  assert.deepEqual(o.HostConfig.Mounts, [
    { Type: 'volume', Source: 'slipway_demo_data', Target: '/data', ReadOnly: false, VolumeOptions: { Labels: { 'slipway.app': 'demo' } } },
    { Type: 'bind', Source: '/srv/shared', Target: '/shared', ReadOnly: true },
  ]);
});

test('the app network, with the service name as an alias, as compose does', () => {
  const o = containerCreateOptions(input({ service: service({ name: 'api' }) }));
  assert.equal(o.HostConfig.NetworkMode, 'slipway-demo');
  assert.deepEqual(o.NetworkingConfig, { EndpointsConfig: { 'slipway-demo': { Aliases: ['api'] } } });
});

test('restart policy, limits, stop grace, command, entrypoint, workdir and user come from the spec', () => {
  const o = containerCreateOptions(
    input({
      service: service({
        restart: 'on-failure',
        memoryBytes: 256 * 1024 * 1024,
        nanoCpus: 500_000_000,
        cpuShares: 512,
        stopGraceSeconds: 25,
        command: ['node', 'server.js'],
        entrypoint: ['/entry.sh'],
        workingDir: '/app',
        user: '1000:1000',
      }),
    }),
  );
  assert.deepEqual(o.HostConfig.RestartPolicy, { Name: 'on-failure' });
  assert.equal(o.HostConfig.Memory, 268435456);
  assert.equal(o.HostConfig.NanoCpus, 500_000_000);
  assert.equal(o.HostConfig.CpuShares, 512);
  assert.equal(o.StopTimeout, 25);
  assert.deepEqual(o.Cmd, ['node', 'server.js']);
  assert.deepEqual(o.Entrypoint, ['/entry.sh']);
  assert.equal(o.WorkingDir, '/app');
  assert.equal(o.User, '1000:1000');
});

test('restart: no becomes the engine\'s empty policy name; unset limits stay unset', () => {
  const o = containerCreateOptions(input({ service: service({ restart: 'no' }) }));
  assert.deepEqual(o.HostConfig.RestartPolicy, { Name: '' });
  assert.equal('Memory' in o.HostConfig, false);
  assert.equal('NanoCpus' in o.HostConfig, false);
  assert.equal('Privileged' in o.HostConfig, false);
});

test('a docker healthcheck is sent in nanoseconds; other health kinds send none', () => {
  const o = containerCreateOptions(
    input({ service: service({ health: { kind: 'docker', test: ['CMD-SHELL', 'curl -f localhost'], interval: 2, timeout: 1.5, retries: 4, startPeriod: 10 } }) }),
  );
  assert.deepEqual(o.Healthcheck, { Test: ['CMD-SHELL', 'curl -f localhost'], Interval: 2e9, Timeout: 1.5e9, Retries: 4, StartPeriod: 1e10 });
  assert.equal(containerCreateOptions(input()).Healthcheck, undefined);
  assert.equal(containerCreateOptions(input({ service: service({ health: { kind: 'http', checks: [] } }) })).Healthcheck, undefined);
});

test('logs rotate (json-file, 10m × 3) so a chatty app cannot fill the disk', () => {
  assert.deepEqual(containerCreateOptions(input()).HostConfig.LogConfig, { Type: 'json-file', Config: { 'max-size': '10m', 'max-file': '3' } });
});

test('host access, when allowed upstream, maps to privileged, caps, pid and host network', () => {
  const o = containerCreateOptions(input({ service: service({ hostAccess: { privileged: true, capAdd: ['NET_ADMIN'], pidHost: true, networkHost: true } }) }));
  assert.equal(o.HostConfig.Privileged, true);
  assert.deepEqual(o.HostConfig.CapAdd, ['NET_ADMIN']);
  assert.equal(o.HostConfig.PidMode, 'host');
  assert.equal(o.HostConfig.NetworkMode, 'host');
  assert.equal(o.NetworkingConfig, undefined);
});

test('a one-off runs `sh -c command` in the release image on the app network, kept after exit', () => {
  const o = oneOffCreateOptions({ app: 'demo', release, command: 'npm run migrate && echo done', kind: 'release' });
  assert.equal(o.name, 'slipway_demo_release.v7');
  assert.equal(o.Image, release.imageRef);
  assert.deepEqual(o.Cmd, ['sh', '-c', 'npm run migrate && echo done']);
  assert.equal(o.Entrypoint, undefined);
  assert.equal(o.HostConfig.NetworkMode, 'slipway-demo');
  assert.equal(o.HostConfig.AutoRemove, false);
  assert.deepEqual(o.HostConfig.RestartPolicy, { Name: '' });
  assert.deepEqual(o.Labels, { 'slipway.app': 'demo', 'slipway.release': '7', 'slipway.kind': 'release', 'slipway.service': 'release', 'slipway.role': '', 'slipway.color': '' });
  const env = envOf(o.Env);
  assert.equal(env.DATABASE_URL, 'postgres://db/x');
  assert.equal(env.SLIPWAY_RELEASE, 'v7');
  assert.equal(env.SLIPWAY_CONTAINER, 'release');
  assert.equal(env.PORT, undefined);
});

test('one-off kinds and suffixes give distinct names', () => {
  const names = (['release', 'predeploy', 'postdeploy', 'run'] as const).map((kind) => oneOffCreateOptions({ app: 'demo', release, command: 'true', kind }).name);
  assert.equal(new Set(names).size, 4);
  assert.equal(oneOffCreateOptions({ app: 'demo', release, command: 'true', kind: 'run', suffix: 'k3j' }).name, 'slipway_demo_run.v7.k3j');
});

test('service containers run an init as PID 1 unless compose says init: false, so SIGTERM stops them at once', () => {
  assert.equal(containerCreateOptions(input()).HostConfig.Init, true);
  assert.equal(containerCreateOptions(input({ service: service({ init: false }) })).HostConfig.Init, false);
  assert.equal(oneOffCreateOptions({ app: 'demo', release, command: 'true', kind: 'run' }).HostConfig.Init, true);
});

test('a key compose names alone takes the release config value at start, over env_file values', () => {
  const env = envOf(
    containerCreateOptions(input({ service: service({ environment: { SHARED: 'from-env-file', OTHER: 'from-env-file' }, configKeys: ['SHARED', 'MISSING'] }) })).Env,
  );
  assert.equal(env.SHARED, 'from-config');
  assert.equal(env.OTHER, 'from-env-file');
  assert.equal('MISSING' in env, false);
});

test('the replica number reads back from a container name, as named now or by an older Slipway', () => {
  assert.equal(replicaIndex(containerName('demo', 'web', 'blue', 3)), 3);
  assert.equal(replicaIndex(containerName('demo', 'my_worker', 12, 14)), 14);
  assert.equal(replicaIndex('slipway-demo-web-blue-7'), 7);
});
