// The dashboard's pure helpers: log filters ⇄ URL ⇄ API query, the job graph's layout, and how
// times and sizes are written.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { apiQuery, searchFromView, viewFromSearch } from '../../../ui/src/lib/log-filters.js';
import { dependencyName, layoutGraph } from '../../../ui/src/lib/graph.js';
import { ago, bytes, metricValue } from '../../../ui/src/lib/format.js';

test('log filters round-trip through the URL, keeping only those set', () => {
  const v = viewFromSearch('?grep=timeout&service=web&junk=1');
  assert.equal(v.grep, 'timeout');
  assert.equal(v.service, 'web');
  assert.equal(v.stream, '');
  assert.equal(searchFromView(v), '?service=web&grep=timeout');
  assert.equal(searchFromView(viewFromSearch('')), '');
});

test('the API query follows live unless an end time is set', () => {
  assert.deepEqual(apiQuery(viewFromSearch('?grep=x'), 2000), { path: 'logs?grep=x&n=2000&follow=1', follow: true });
  assert.deepEqual(apiQuery(viewFromSearch('?since=1h&until=10m'), 500), { path: 'logs?since=1h&until=10m&n=500', follow: false });
});

test('a job graph is laid out in columns by the longest chain of what each task waits for', () => {
  const g = layoutGraph([
    { name: 'report', after: ['transform', 'extract'] },
    { name: 'extract', after: [] },
    { name: 'transform', after: ['extract'] },
    { name: 'cleanup', after: [] },
  ]);
  const col = Object.fromEntries(g.tasks.map((t) => [t.name, t.column]));
  assert.deepEqual(col, { cleanup: 0, extract: 0, transform: 1, report: 2 });
  assert.equal(g.columns, 3);
  assert.equal(g.rows, 2);
  assert.deepEqual(g.edges, [
    { from: 'transform', to: 'report' },
    { from: 'extract', to: 'report' },
    { from: 'extract', to: 'transform' },
  ]);
  assert.equal(dependencyName('db (completed_successfully)'), 'db');
});

test('times and sizes read the way people say them', () => {
  const now = Date.parse('2030-01-01T12:00:00Z');
  assert.equal(ago('2030-01-01T11:59:30Z', now), '30 s ago');
  assert.equal(ago('2030-01-01T09:00:00Z', now), '3 h ago');
  assert.equal(ago(null, now), '—');
  assert.equal(bytes(1536), '1.5 KB');
  assert.equal(bytes(512), '512 B');
  assert.equal(metricValue(0.256, 'req/s'), '0.26 req/s');
  assert.equal(metricValue(null, 'ms'), '—');
});
