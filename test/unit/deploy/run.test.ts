// `slipway run`'s container: the service's image, config, environment and volumes, as a one-off
// that never restarts, never joins the service's DNS name, and is labelled for `logs --service run`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Release } from '../../../src/domain.js';
import { UserError } from '../../../src/errors.js';
import { runArgv, runService, runSpec } from '../../../src/deploy/run.js';
import { serviceSpec } from '../../helpers/specs.js';

const release = (): Release => ({
  app: 'demo',
  version: 4,
  image: { repository: 'r/demo', tags: ['v4'], digest: 'sha256:abc', ref: 'r/demo@sha256:abc' },
  sha: null,
  config: { DATABASE_URL: 'postgres://db/x' },
  services: [
    serviceSpec({ name: 'web', environment: { NODE_ENV: 'production' }, volumes: [{ source: 'data', target: '/data', readOnly: false, bind: false }], logFiles: ['/app/log/*.log'] }),
    serviceSpec({ name: 'worker', role: 'worker', port: undefined, image: 'redis:7', restart: 'always' }),
  ],
  scale: {},
  appJson: null,
  releaseCommand: null,
  serviceSource: null,
  description: '',
  status: 'active',
  createdAt: '',
});
const envOf = (list: string[]) => Object.fromEntries(list.map((e) => [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)]));

test('one argument is a shell command line; several are exec\'d as given', () => {
  assert.deepEqual(runArgv(['rake db:migrate && echo $HOME']), ['sh', '-c', 'rake db:migrate && echo $HOME']);
  assert.deepEqual(runArgv(['node', '-e', 'console.log(1)']), ['node', '-e', 'console.log(1)']);
  assert.throws(() => runArgv([]), (e: unknown) => e instanceof UserError && /nothing to run/.test(e.message));
});

test('the service: --service, else web, else the first; an unknown one lists what there is', () => {
  assert.equal(runService(release()).name, 'web');
  assert.equal(runService(release(), 'worker').name, 'worker');
  assert.throws(() => runService(release(), 'clock'), (e: unknown) => e instanceof UserError && /v4 has no service clock \(services: web, worker\)/.test(e.message));
});

test('a run container: release image, config and service env, the volumes; no restart, health, alias or log volumes', () => {
  const spec = runSpec(release(), runService(release()), ['sh', '-c', 'true'], 'k3j');
  assert.equal(spec.name, 'slipway_demo_run.v4.k3j');
  assert.equal(spec.Image, 'r/demo@sha256:abc');
  assert.deepEqual(spec.Cmd, ['sh', '-c', 'true']);
  const env = envOf(spec.Env);
  assert.equal(env.DATABASE_URL, 'postgres://db/x');
  assert.equal(env.NODE_ENV, 'production');
  assert.equal(env.SLIPWAY_CONTAINER, 'run.k3j');
  assert.deepEqual(spec.Labels, { 'slipway.app': 'demo', 'slipway.service': 'run', 'slipway.release': '4', 'slipway.kind': 'run' });
  assert.deepEqual(spec.HostConfig.RestartPolicy, { Name: '' });
  assert.equal(spec.Healthcheck, undefined);
  assert.deepEqual(spec.HostConfig.Mounts.map((m) => m.Target), ['/data']);
  assert.deepEqual(spec.NetworkingConfig, { EndpointsConfig: { 'slipway-demo': { Aliases: [] } } });
});

test('--service runs that service\'s own image (a compose image:)', () => {
  const spec = runSpec(release(), runService(release(), 'worker'), ['redis-cli', 'ping'], 'a1');
  assert.equal(spec.Image, 'redis:7');
  assert.deepEqual(spec.HostConfig.RestartPolicy, { Name: '' });
});
