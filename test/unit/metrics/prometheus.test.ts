// /metrics text (parsed back with a real parser), HAProxy's show stat and access-log lines.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import parsePrometheus from 'parse-prometheus-text-format';
import { containerFamilies, platformFamilies, renderFamilies } from '../../../src/metrics/prometheus.js';
import { parseAccessLine, parseBackendStats, parseSlotLoad } from '../../../src/proxy/stats.js';
import { planDrainServers } from '../../../src/proxy/commands.js';

test('label values are escaped; the deploy histogram is cumulative with +Inf, _sum and _count', () => {
  const text = renderFamilies([
    ...containerFamilies([{
      id: 'abc', source: 'cgroup', restarts: 2,
      labels: { app: 'a"b', service: 'web\\x', release: 3, color: 'blue', name: 'line\nbreak' },
      usage: { cpuSeconds: 1.5, memoryWorkingSet: 10, memoryLimit: null, ioReadBytes: 1, ioWriteBytes: 2, netRxBytes: 3, netTxBytes: 4 },
    }]),
    ...platformFamilies({ deploys: [{ trigger: 'push', status: 'succeeded', count: 3 }], deployDurations: [4, 20, 700], queued: 1, running: 0, logLinesShipped: 9 }, { samples: 1, cpuSeconds: 0.1, databaseBytes: 4096 }),
  ]);
  const families = parsePrometheus(text);
  const cpu = families.find((f) => f.name === 'container_cpu_usage_seconds_total')!.metrics[0]!;
  assert.deepEqual(cpu.labels, { name: 'line\nbreak', id: '/docker/abc', app: 'a"b', service: 'web\\x', release: 'v3', color: 'blue' });
  assert.equal(cpu.value, '1.5');
  assert.equal(families.find((f) => f.name === 'container_spec_memory_limit_bytes')!.metrics[0]!.value, '0');
  const h = families.find((f) => f.name === 'slipway_deploy_duration_seconds')!;
  assert.equal(h.type, 'HISTOGRAM');
  assert.deepEqual(h.metrics[0]!.buckets, { '5': '1', '10': '1', '30': '2', '60': '2', '120': '2', '300': '2', '600': '2', '1800': '3', '+Inf': '3' });
  assert.equal(h.metrics[0]!.count, '3');
  assert.equal(h.metrics[0]!.sum, '724');
});

const HEADER = '# pxname,svname,qcur,qmax,scur,smax,slim,stot,bin,bout,dreq,dresp,ereq,econ,eresp,wretr,wredis,status,weight,act,bck,chkfail,chkdown,lastchg,downtime,qlimit,pid,iid,sid,throttle,lbtot,tracked,type,rate,rate_lim,rate_max,check_status,check_code,check_duration,hrsp_1xx,hrsp_2xx,hrsp_3xx,hrsp_4xx,hrsp_5xx,hrsp_other,hanafail,req_rate,req_rate_max,req_tot,';
const line = (px: string, sv: string, qcur: number, scur: number, stot: number, h2: number, h4: number, h5: number, req: number | '') =>
  [px, sv, qcur, 0, scur, 0, '', stot, ...Array(31).fill(''), 0, h2, 0, h4, h5, 0, '', 0, 0, req, ''].join(',');

test('show stat: backend rows of app backends with requests, status classes, sessions and queue', () => {
  const csv = [HEADER, line('demo_web', 'BACKEND', 2, 5, 90, 80, 7, 3, 100), line('demo_web', 'blue1', 0, 3, 50, 40, 0, 0, ''), line('slipway-unknown-host', 'BACKEND', 0, 0, 4, 0, 4, 0, 4), line('old_web', 'BACKEND', 0, 0, 9, 9, 0, 0, '')].join('\n');
  assert.deepEqual(parseBackendStats(csv), [
    { backend: 'demo_web', requests: 100, r2xx: 80, r4xx: 7, r5xx: 3, sessions: 5, queue: 2 },
    { backend: 'old_web', requests: 9, r2xx: 9, r4xx: 0, r5xx: 0, sessions: 0, queue: 0 },
  ]);
  assert.deepEqual([...parseSlotLoad(csv)], [['blue1', 3]]);
});

test('access-log lines: backend, status, response time; anything else ignored', () => {
  assert.deepEqual(parseAccessLine('demo_web 200 12'), { backend: 'demo_web', status: 200, ms: 12 });
  assert.deepEqual(parseAccessLine('demo_web -1 -1\n'), { backend: 'demo_web', status: -1, ms: -1 });
  assert.equal(parseAccessLine('<134>Nov 30 haproxy[1]: something'), null);
});

test('scale-in drains only the slots of the replicas going away', () => {
  const slots = {
    green1: { addr: '10.0.0.1', port: 80, state: 'ready' as const },
    green2: { addr: '10.0.0.2', port: 80, state: 'ready' as const },
    blue1: { addr: '10.0.0.2', port: 80, state: 'maint' as const },
  };
  assert.deepEqual(planDrainServers(slots, [{ addr: '10.0.0.2', port: 80 }]), { drain: ['green2'] });
});
