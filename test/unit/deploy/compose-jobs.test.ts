// Job and schedule labels in compose files: Slipway's own and Aliyun's aliases are read into
// the services' job settings; a wrong value or a graph Slipway can't run is refused by line.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parseCompose } from '../../../src/deploy/compose.js';
import { servicesFor } from '../../../src/deploy/services.js';
import { UserError } from '../../../src/errors.js';

const opts = { allowHostBinds: false, allowPrivileged: false };
const fixture = (name: string) => readFileSync(new URL(`../../fixtures/compose/${name}`, import.meta.url), 'utf8');
const parse = (text: string) => parseCompose(text, 'compose.yaml', opts);
function problems(text: string): string[] {
  try {
    parse(text);
  } catch (e) {
    assert.ok(e instanceof UserError, String(e));
    return e.message.split('\n').slice(1);
  }
  return assert.fail('expected the file to be refused');
}
const job = (labels: string[], more: string[] = []) =>
  ['services:', '  work:', '    image: app', ...more.map((l) => `    ${l}`), '    labels:', ...labels.map((l) => `      ${l}`)].join('\n') + '\n';

test('the batch graph: jobs with retries, replicas, policy, dependencies and a schedule', () => {
  const specs = servicesFor({ processes: {}, appJson: null, compose: { file: 'compose.yaml', text: fixture('batch-graph.yml') }, exposedPort: null }, {}, opts);
  const by = Object.fromEntries(specs.map((s) => [s.name, s]));
  assert.deepEqual(specs.map((s) => [s.name, s.role, s.replicas, s.restart]), [
    ['extract', 'job', 1, 'no'], ['transform', 'job', 4, 'no'], ['report', 'job', 1, 'no'],
  ]);
  assert.deepEqual(by.extract!.job, { retries: 3, removeContainers: 'remove-finished' });
  assert.deepEqual(by.transform!.job, { retries: 0, removeContainers: 'remove-finished' });
  assert.deepEqual(by.report!.job, {
    retries: 0, removeContainers: 'remove-finished',
    schedule: { cron: '30 2 * * *', timezone: 'Europe/Berlin', concurrency: 'forbid', deadlineSeconds: 300, history: 20, taskOnly: false },
  });
  assert.deepEqual(by.transform!.dependsOn, [{ service: 'extract', condition: 'service_completed_successfully' }]);
  assert.deepEqual(by.report!.labels, {}, 'job labels are not set on the containers');
  assert.equal(by.report!.health.kind, 'none');
});

test('an Aliyun batch file: project_type makes every service a job; retry_count, remove_containers, scale, depends, schedule alias ours', () => {
  const app = parse(fixture('aliyun-batch.yml'));
  const by = Object.fromEntries(app.services.map((s) => [s.name, s]));
  assert.equal(by.prepare!.role, 'job');
  assert.deepEqual(by.prepare!.job, { retries: 2, removeContainers: 'remove-all' });
  assert.equal(by.compute!.replicas, 2);
  assert.deepEqual(by.compute!.dependsOn.map((d) => [d.service, d.condition]), [['prepare', 'service_completed_successfully']]);
  assert.equal(by.compute!.job?.schedule?.cron, '0 0 3 * * *');
  assert.deepEqual(by.compute!.labels, { 'aliyun.routing.port_80': 'compute' }, 'labels Slipway does not read stay on the container');
  assert.ok(app.warnings.some((w) => /compose\.yaml:\d+:\d+: aliyun\.routing\.port_80 is an Aliyun label Slipway does not use/.test(w)), app.warnings.join('\n'));
});

test('bad job and schedule values are refused with their line and what to write', () => {
  const lines = problems(job([
    'slipway.job: "sure"',
    'slipway.job.retries: "many"',
    'slipway.job.remove_containers: "sometimes"',
    'slipway.job.webhook: "ftp://x"',
    'slipway.schedule: "61 * * * *"',
    'slipway.schedule.timezone: "Mars/Base"',
    'slipway.schedule.concurrency: "queue"',
    'slipway.schedule.deadline: "soon"',
    'slipway.job.color: "red"',
  ]));
  const expect = [
    /:5:7: services\.work\.labels\.slipway\.job: must be "true" or "false", not "sure"/,
    /:6:7: .*slipway\.job\.retries: "many" is not a whole number of retries/,
    /:7:7: .*remove_containers: must be one of keep-all, remove-finished, remove-failed, remove-all/,
    /:8:7: .*webhook: must be an http:\/\/ or https:\/\/ URL/,
    /:9:7: .*slipway\.schedule: "61 \* \* \* \*" is not a cron expression/,
    /:10:7: .*timezone: "Mars\/Base" is not a time zone/,
    /:11:7: .*concurrency: must be forbid, allow or replace/,
    /:12:7: .*deadline: "soon" is not a duration/,
    /:13:7: .*slipway\.job\.color: unknown job label \(known: slipway\.job, slipway\.job\.retries/,
  ];
  assert.equal(lines.length, expect.length, lines.join('\n'));
  expect.forEach((re, i) => assert.match(lines[i]!, re));
});

test('job settings on a service that is not a job are refused, not ignored', () => {
  const lines = problems(job(['slipway.job.retries: "3"', 'slipway.schedule: "@daily"']));
  assert.match(lines[0]!, /slipway\.job\.retries: applies to jobs only: add the label slipway\.job: "true"/);
  assert.match(lines[1]!, /slipway\.schedule: applies to jobs only/);
});

test('a job cannot have ports or a Docker restart policy; a service cannot wait for a job', () => {
  const lines = problems([
    'services:',
    '  web:',
    '    image: app',
    '    depends_on: { migrate: { condition: service_completed_successfully } }',
    '  migrate:',
    '    image: app',
    '    ports: ["80"]',
    '    restart: always',
    '    labels: { slipway.job: "true" }',
    '  after:',
    '    image: app',
    '    depends_on: { migrate: { condition: service_healthy } }',
    '    labels: { slipway.job: "true" }',
  ].join('\n'));
  assert.ok(lines.some((l) => /:4:19: services\.web\.depends_on\.migrate: migrate is a job, which runs only with `slipway jobs:run`/.test(l)), lines.join('\n'));
  assert.ok(lines.some((l) => /services\.migrate\.ports: a job gets no traffic/.test(l)), lines.join('\n'));
  assert.ok(lines.some((l) => /services\.migrate\.restart: a job runs to completion and is retried by slipway\.job\.retries/.test(l)), lines.join('\n'));
  assert.ok(lines.some((l) => /services\.after\.depends_on\.migrate: a job waits for another job to complete/.test(l)), lines.join('\n'));
});

test('a job may wait for a long-running service of the app', () => {
  const app = parse([
    'services:',
    '  db:',
    '    image: postgres',
    '    healthcheck: { test: ["CMD", "true"] }',
    '  load:',
    '    image: app',
    '    depends_on: { db: { condition: service_healthy } }',
    '    labels: { slipway.job: "true" }',
  ].join('\n'));
  assert.deepEqual(app.services.map((s) => s.role), ['worker', 'job']);
});

test('app.json cron entries become jobs on their own schedules, each alone', () => {
  const specs = servicesFor(
    { processes: { web: 'node server.js' }, appJson: { healthchecks: {}, scripts: {}, env: {}, formation: null, cron: [{ command: 'node cleanup.js', schedule: '@daily' }] }, compose: null, exposedPort: null },
    {},
    opts,
  );
  assert.deepEqual(specs.map((s) => [s.name, s.role]), [['web', 'web'], ['cron-1', 'job']]);
  assert.deepEqual(specs[1]!.command, ['sh', '-c', 'node cleanup.js']);
  assert.equal(specs[1]!.replicas, 1, 'one instance a run');
  assert.deepEqual(specs[1]!.job?.schedule, { cron: '@daily', concurrency: 'forbid', deadlineSeconds: 300, history: 20, taskOnly: true });
});
