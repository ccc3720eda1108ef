// Autoscaling settings from compose labels (slipway.autoscale.* and the aliyun.auto_scaling.*
// aliases) and from `slipway autoscale:set`: checked, with the key at fault named.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseCompose } from '../../../src/deploy/compose.js';
import { UserError } from '../../../src/errors.js';
import { ruleFrom, settingsFromWords } from '../../../src/scale/rule.js';

const compose = (...labels: string[]) =>
  ['services:', '  web:', '    image: app', '    mem_limit: 256m', '    labels:', ...labels.map((l) => `      ${l}`)].join('\n') + '\n';
const parse = (text: string) => parseCompose(text, 'compose.yaml', { allowHostBinds: false, allowPrivileged: false });

test('compose labels give the service its rule; the provider\'s aliyun.auto_scaling.* names are aliases', () => {
  const app = parse(compose('slipway.autoscale.max_cpu: "70"', 'aliyun.auto_scaling.min_cpu: "30"', 'aliyun.auto_scaling.max_memory: "80"', 'slipway.autoscale.max_instances: "8"'));
  assert.deepEqual(app.services[0]!.autoscale, { maxCpu: 70, minCpu: 30, maxMemory: 80, step: 1, minInstances: 1, maxInstances: 8 });
  assert.equal(parse(compose('other: x')).services[0]!.autoscale, undefined);
});

test('bad autoscale labels are refused with file, line and what is allowed', () => {
  const err = (text: string) => {
    try {
      parse(text);
    } catch (e) {
      assert.ok(e instanceof UserError);
      return e.message;
    }
    assert.fail('expected a UserError');
  };
  assert.match(err(compose('slipway.autoscale.max_cpu: "lots"')), /compose\.yaml:\d+:\d+: services\.web\.labels\.slipway\.autoscale\.max_cpu: must be a percentage/);
  assert.match(err(compose('slipway.autoscale.max_cpus: "70"')), /slipway\.autoscale\.max_cpus: unknown autoscale setting \(known: max_cpu/);
  assert.match(err(compose('slipway.autoscale.min_cpu: "80"', 'slipway.autoscale.max_cpu: "70"')), /min_cpu \(80\) must be below max_cpu \(70\)/);
  const noLimit = ['services:', '  web:', '    image: app', '    labels:', '      slipway.autoscale.max_memory: "80"'].join('\n') + '\n';
  assert.match(err(noLimit), /% of the memory limit: give the service one/);
});

test('CLI words: KEY=VALUE sets, KEY= unsets, anything else is refused', () => {
  assert.deepEqual(settingsFromWords(['max_cpu=70', 'min_instances=2', 'min_cpu=']), { set: { max_cpu: 70, min_instances: 2 }, unset: ['min_cpu'] });
  assert.throws(() => settingsFromWords(['cpu=70']), /KEY one of max_cpu/);
  assert.throws(() => settingsFromWords(['max_instances=0']), /max_instances: must be a whole number from 1 to 100/);
  assert.throws(() => ruleFrom({ min_instances: 3, max_instances: 2, max_cpu: 50 }, undefined), /min_instances \(3\) is above max_instances \(2\)/);
  assert.throws(() => ruleFrom({ step: 2 }, undefined), /at least one of max_cpu/);
  assert.equal(ruleFrom({}, undefined), null);
});
