// swarmServiceSpec: what Swarm is asked to run for a release's service, as data.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { overlayName, restartPolicy, swarmServiceName, swarmServiceSpec } from '../../../src/cluster/service-spec.js';
import { serviceSpec } from '../../helpers/specs.js';

const release = { version: 7, imageRef: '10.0.0.5:5000/shop@sha256:abc', config: { DB: 'postgres://db' } };
type Spec = { TaskTemplate: Record<string, any>; Mode: any; EndpointSpec: any; Labels: Record<string, string> };
const spec = (over: Parameters<typeof serviceSpec>[0] = {}, color: 'blue' | 'green' | null = 'green', replicas = 3) =>
  swarmServiceSpec({ app: 'shop', release, service: serviceSpec(over), color, replicas }) as unknown as Spec & { Name: string };

test('one service per web color, per release for workers, DNS round-robin on the app overlay (no VIP)', () => {
  const s = spec();
  assert.equal(s.Name, 'slipway_shop_web_green');
  assert.equal(swarmServiceName('shop', 'worker', 7), 'slipway_shop_worker_v7');
  assert.deepEqual(s.Mode, { Replicated: { Replicas: 3 } });
  assert.deepEqual(s.EndpointSpec, { Mode: 'dnsrr' });
  assert.deepEqual(s.TaskTemplate.Networks, [{ Target: overlayName('shop'), Aliases: ['web'] }]);
  assert.equal(s.TaskTemplate.ContainerSpec.Image, release.imageRef, 'by digest, from the registry the nodes reach');
});

test('labels tell the agents and the reconciler what each task is; the env names its replica by slot', () => {
  const s = spec({ labels: { 'slipway.app': 'other', team: 'a' } });
  const labels = s.TaskTemplate.ContainerSpec.Labels;
  assert.equal(labels['slipway.app'], 'shop', "a compose label cannot pose as another app");
  assert.equal(labels['slipway.color'], 'green');
  assert.equal(labels['slipway.release'], '7');
  assert.equal(labels['slipway.engine'], 'swarm', 'shipped by the node agents, not the server');
  assert.equal(labels.team, 'a');
  const env = s.TaskTemplate.ContainerSpec.Env as string[];
  assert.ok(env.includes('SLIPWAY_CONTAINER=web.{{.Task.Slot}}'));
  assert.ok(env.includes('PORT=3000') && env.includes('DB=postgres://db') && env.includes('SLIPWAY_RELEASE=v7'));
});

test('compose entrypoint and command become Command and Args; resources, placement and restart policy pass through', () => {
  const s = spec({
    entrypoint: ['tini', '--'],
    command: ['python3', 'app.py'],
    memoryBytes: 128 << 20,
    nanoCpus: 5e8,
    reservations: { memoryBytes: 16 << 20 },
    placement: { constraints: ['node.role==worker'], maxReplicasPerNode: 1 },
    restartPolicy: { condition: 'on-failure', delaySeconds: 2, maxAttempts: 3 },
    stopGraceSeconds: 5,
  });
  const t = s.TaskTemplate;
  assert.deepEqual([t.ContainerSpec.Command, t.ContainerSpec.Args], [['tini', '--'], ['python3', 'app.py']]);
  assert.deepEqual(t.Resources, { Limits: { NanoCPUs: 5e8, MemoryBytes: 128 << 20 }, Reservations: { MemoryBytes: 16 << 20 } });
  assert.deepEqual(t.Placement, { Constraints: ['node.role==worker'], MaxReplicas: 1 });
  assert.deepEqual(t.RestartPolicy, { Condition: 'on-failure', Delay: 2e9, MaxAttempts: 3 });
  assert.equal(t.ContainerSpec.StopGracePeriod, 5e9);
  assert.equal(spec().TaskTemplate.Resources, undefined);
});

test('without a restart_policy, compose restart: decides the condition', () => {
  assert.deepEqual(restartPolicy(serviceSpec({ restart: 'no' })), { Condition: 'none' });
  assert.deepEqual(restartPolicy(serviceSpec({ restart: 'on-failure' })), { Condition: 'on-failure' });
  assert.deepEqual(restartPolicy(serviceSpec({ restart: 'unless-stopped' })), { Condition: 'any' });
});

test('declared log files get a volume per task (a template Swarm fills) and a compose healthcheck becomes HealthCheck', () => {
  const s = spec({ logFiles: ['/app/log/*.log'], health: { kind: 'docker', test: ['CMD', 'true'], interval: 2, timeout: 1, retries: 3, startPeriod: 0 } });
  const mounts = s.TaskTemplate.ContainerSpec.Mounts as { Source: string; Target: string }[];
  assert.deepEqual(mounts.map((m) => [m.Source, m.Target]), [['{{.Task.Name}}-logs0', '/app/log']]);
  assert.deepEqual(JSON.parse(s.TaskTemplate.ContainerSpec.Labels['slipway.logs.files']), [{ volume: '{{.Task.Name}}-logs0', target: '/app/log', pattern: '*.log' }]);
  assert.deepEqual(s.TaskTemplate.ContainerSpec.HealthCheck, { Test: ['CMD', 'true'], Interval: 2e9, Timeout: 1e9, Retries: 3, StartPeriod: 0 });
  // Set on every task, empty too: an image's LABEL slipway.logs.files (or slipway.color) never shows through.
  assert.equal(spec().TaskTemplate.ContainerSpec.Labels['slipway.logs.files'], '[]');
  assert.equal(spec({ role: 'worker', name: 'worker' }, null).TaskTemplate.ContainerSpec.Labels['slipway.color'], '');
});
