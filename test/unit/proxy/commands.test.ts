// Runtime API commands, their error detection, HAProxy answer parsers and the slot plans of a switch.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  parseColorLoad,
  showServerStatsCommand,
  addMapCommand,
  applyPlan,
  delMapCommand,
  emptySlots,
  isNotFound,
  parseMapFile,
  parseServersState,
  parseShowMap,
  parseShowProc,
  planColor,
  planDisable,
  planDrain,
  renderMapFile,
  responseError,
  servingSlots,
  setMapCommand,
  switchCommands,
  type BackendSlots,
} from '../../../src/proxy/commands.js';

const BE = 'shop_web';

test('a switch readies the new slots before draining or disabling others', () => {
  assert.deepEqual(
    switchCommands(BE, {
      ready: [
        { slot: 'green1', addr: '172.17.0.5', port: 5000 },
        { slot: 'green2', addr: '172.17.0.6', port: 5000 },
      ],
      drain: ['blue1'],
      maint: ['green3'],
    }),
    [
      'set server shop_web/green1 addr 172.17.0.5 port 5000',
      'set server shop_web/green2 addr 172.17.0.6 port 5000',
      'set server shop_web/green1 state ready',
      'set server shop_web/green2 state ready',
      'set server shop_web/blue1 state drain',
      'set server shop_web/green3 state maint',
    ],
  );
  assert.deepEqual(switchCommands(BE, {}), []);
});

test('commands refuse names and values that could smuggle a second command', () => {
  assert.throws(() => switchCommands('shop_web;shutdown', { drain: ['blue1'] }));
  assert.throws(() => switchCommands(BE, { drain: ['blue1; shutdown sessions'] }));
  assert.throws(() => switchCommands(BE, { ready: [{ slot: 'blue1', addr: '1.2.3.4;x', port: 80 }] }));
  assert.throws(() => switchCommands(BE, { ready: [{ slot: 'blue1', addr: '1.2.3.4', port: 0 }] }));
  assert.throws(() => setMapCommand('/m/hosts.map', 'a.com\nadd map', BE));
  assert.throws(() => addMapCommand('/m/hosts map', 'a.com', BE));
});

test('map commands', () => {
  assert.equal(setMapCommand('/d/hosts.map', 'shop.apps.test', BE), 'set map /d/hosts.map shop.apps.test shop_web');
  assert.equal(addMapCommand('/d/hosts.map', 'shop.apps.test', BE), 'add map /d/hosts.map shop.apps.test shop_web');
  assert.equal(delMapCommand('/d/hosts.map', 'shop.apps.test'), 'del map /d/hosts.map shop.apps.test');
  assert.ok(isNotFound('entry not found.\n\n'));
  assert.ok(isNotFound('Key not found.\n'));
  assert.ok(!isNotFound(''));
});

test('HAProxy answers are read as errors unless they mean success', () => {
  const addr = 'set server a_web/blue1 addr 10.0.0.1 port 80';
  assert.equal(responseError(addr, "IP changed from '127.0.0.1' to '10.0.0.1', port changed from '1' to '80' by 'stats socket command'\n\n"), null);
  assert.equal(responseError(addr, "no need to change the addr, port changed from '1' to '80' by 'stats socket command'\n"), null);
  assert.equal(responseError(addr, 'No such server.\n'), 'No such server.');
  assert.equal(responseError('set server a_web/blue1 state ready', '\n'), null);
  assert.equal(responseError('set server a_web/blue9 state ready', 'No such server.\n\n'), 'No such server.');
  assert.equal(responseError('add map /m a b', 'Unknown map identifier. Please use #<id> or <file>.\n'), 'Unknown map identifier. Please use #<id> or <file>.');
  assert.equal(responseError('show servers state', '1\n# be_id be_name\n'), null);
  assert.match(responseError('show bogus', 'Unknown command, but maybe…') ?? '', /Unknown command/);
});

const STATE = `1
# be_id be_name srv_id srv_name srv_addr srv_op_state srv_admin_state srv_uweight srv_iweight srv_time_since_last_change srv_check_status srv_check_result srv_check_health srv_check_state srv_agent_state bk_f_forced_id srv_f_forced_id srv_fqdn srv_port srvrecord srv_use_ssl srv_check_port srv_check_addr srv_agent_addr srv_agent_port
4 shop_web 1 blue1 127.0.0.1 0 5 1 1 2840 1 0 0 14 0 0 0 - 1 - 0 0 - - 0
4 shop_web 2 green1 172.17.0.5 2 4 1 1 12 6 3 4 6 0 0 0 - 5000 - 0 0 - - 0
4 shop_web 3 green2 172.17.0.6 2 12 1 1 12 6 3 4 6 0 0 0 - 5000 - 0 0 - - 0
4 shop_web 4 blue2 172.17.0.7 0 0 1 1 12 6 3 4 6 0 0 0 - 5000 - 0 0 - - 0
5 other_web 1 blue1 172.17.0.9 2 1 1 1 12 6 3 4 6 0 0 0 - 80 - 0 0 - - 0
5 other_web 2 backup 172.17.0.9 2 0 1 1 12 6 3 4 6 0 0 0 - 80 - 0 0 - - 0

`;

test('show servers state is read into slot, color, address, state and health', () => {
  const s = parseServersState(STATE);
  assert.deepEqual(s.map((x) => [x.backend, x.slot, x.color, x.addr, x.port, x.state, x.up]), [
    ['shop_web', 'blue1', 'blue', '127.0.0.1', 1, 'maint', false], // config `disabled` + forced maint (5)
    ['shop_web', 'green1', 'green', '172.17.0.5', 5000, 'ready', true], // disabled in config, then ready (4)
    ['shop_web', 'green2', 'green', '172.17.0.6', 5000, 'drain', true], // 4 | forced drain 8
    ['shop_web', 'blue2', 'blue', '172.17.0.7', 5000, 'ready', false], // ready but failing its check
    ['other_web', 'blue1', 'blue', '172.17.0.9', 80, 'maint', false],
  ]);
  assert.deepEqual(parseServersState(''), []);
  assert.deepEqual(parseServersState('1\n'), []);
});

test('show proc is read for reload count, failures and current workers', () => {
  const text = `#<PID>          <type>          <reloads>       <uptime>        <version>
27124           master          2 [failed: 1]   0d00h47m53s     2.6.12-1+deb12u4
# workers
10978           worker          0               0d00h00m02s     2.6.12-1+deb12u4
# old workers
10950           worker          1               0d00h00m09s     2.6.12-1+deb12u4
# programs

`;
  assert.deepEqual(parseShowProc(text), { master: 27124, reloads: 2, failedReloads: 1, workers: [10978] });
  assert.deepEqual(parseShowProc('27124 master 0 0d00h00m01s 2.6'), { master: 27124, reloads: 0, failedReloads: 0, workers: [] });
});

test('the map file round-trips, sorted, and refuses bad entries', () => {
  const routes = new Map([
    ['b.apps.test', 'b_web'],
    ['a.apps.test', 'a_web'],
  ]);
  const text = renderMapFile(routes);
  assert.equal(text, 'a.apps.test a_web\nb.apps.test b_web\n');
  assert.deepEqual(parseMapFile(`# comment\n${text}\n`), new Map([...routes].sort()));
  assert.throws(() => renderMapFile(new Map([['A.test', 'a_web']])));
});

const srv = (n: number) => ({ addr: `172.17.0.${n}`, port: 5000 });

test('a color gets its servers in order, the rest of its slots in maint; the other color is untouched', () => {
  const slots = emptySlots(4);
  slots.blue1 = { ...srv(1), state: 'ready' };
  const plan = planColor(slots, 'green', [srv(5), srv(6)], 4);
  assert.deepEqual(plan, {
    ready: [
      { slot: 'green1', ...srv(5) },
      { slot: 'green2', ...srv(6) },
    ],
    drain: [],
    maint: [],
  });
  const after = applyPlan(slots, plan);
  assert.deepEqual(servingSlots(after).map((s) => s.slot), ['blue1', 'green1', 'green2']);
});

test('setting a color again is a no-op, and a server keeps its slot across a rescale', () => {
  let slots = applyPlan(emptySlots(4), planColor(emptySlots(4), 'blue', [srv(1), srv(2), srv(3)], 4));
  assert.deepEqual(switchCommands(BE, planColor(slots, 'blue', [srv(3), srv(1), srv(2)], 4)), []);
  const shrink = planColor(slots, 'blue', [srv(3)], 4);
  assert.deepEqual(shrink, { ready: [], drain: [], maint: ['blue1', 'blue2'] });
  slots = applyPlan(slots, shrink);
  assert.deepEqual(servingSlots(slots), [{ slot: 'blue3', ...srv(3) }]);
  const grow = planColor(slots, 'blue', [srv(3), srv(4)], 4);
  assert.deepEqual(grow.ready, [{ slot: 'blue1', ...srv(4) }]);
});

test('a drained server set ready again is re-readied, duplicates count once, overflow is refused', () => {
  const slots: BackendSlots = { ...emptySlots(2), blue1: { ...srv(1), state: 'drain' } };
  assert.deepEqual(planColor(slots, 'blue', [srv(1)], 2).ready, [{ slot: 'blue1', ...srv(1) }]);
  assert.deepEqual(planColor(emptySlots(2), 'blue', [srv(1), srv(1)], 2).ready, [{ slot: 'blue1', ...srv(1) }]);
  assert.throws(() => planColor(emptySlots(2), 'blue', [srv(1), srv(2), srv(3)], 2), /more slots/);
  assert.throws(() => planColor(emptySlots(2), 'blue', [{ addr: 'db', port: 5 }], 2), /IPv4/);
});

test('drain takes only ready slots of the color; disable takes every slot not yet in maint', () => {
  const slots: BackendSlots = {
    ...emptySlots(2),
    blue1: { ...srv(1), state: 'ready' },
    blue2: { ...srv(2), state: 'drain' },
    green1: { ...srv(3), state: 'ready' },
  };
  assert.deepEqual(planDrain(slots, 'blue'), { drain: ['blue1'] });
  assert.deepEqual(planDisable(slots, 'blue'), { maint: ['blue1', 'blue2'] });
  assert.deepEqual(planDisable(emptySlots(2), 'green'), { maint: [] });
  const after = applyPlan(slots, { drain: ['blue1'] });
  assert.deepEqual(after.blue1, { ...srv(1), state: 'drain' });
  assert.deepEqual(servingSlots(after), [{ slot: 'green1', ...srv(3) }]);
});

test('show map is read into host → backend', () => {
  const live = parseShowMap('0x55d1c1a2b3c0 shop.apps.test shop_web\n0x55d1c1a2b4f0 blog.apps.test blog_web\n\n');
  assert.deepEqual([...live], [
    ['shop.apps.test', 'shop_web'],
    ['blog.apps.test', 'blog_web'],
  ]);
  assert.deepEqual([...parseShowMap('Unknown map identifier.\n')], []);
});

test('show stat CSV → requests each color is handling or queueing (scur + qcur)', () => {
  const csv = [
    '# pxname,svname,qcur,qmax,scur,smax,slim,stot,bin,bout',
    'demo_web,blue1,0,0,2,5,,10,0,0',
    'demo_web,blue2,1,1,0,3,,4,0,0',
    'demo_web,green1,0,0,0,0,,0,0,0',
    'demo_web,BACKEND,0,0,2,5,,14,0,0',
    '',
  ].join('\n');
  assert.deepEqual(parseColorLoad(csv), { blue: 3, green: 0 });
  assert.equal(showServerStatsCommand('demo_web'), 'show stat demo_web 4 -1');
  assert.throws(() => parseColorLoad('Unknown command\n'), /unexpected show stat answer/);
});
