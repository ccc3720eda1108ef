// Config: defaults work, env overrides, and a bad value stops start-up naming the variable.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig, redisUrlFrom, withRedisPassword } from '../../../src/config.js';

const tmp = () => mkdtempSync(path.join(os.tmpdir(), 'cfg-'));

test('defaults work out of the box', () => {
  const c = loadConfig({ SLIPWAY_DATA: tmp() });
  assert.equal(c.port, 7100);
  assert.equal(c.host, '127.0.0.1');
  assert.equal(c.httpPort, 80);
  assert.equal(c.appsDomain, 'localhost');
  assert.equal(c.allowFileRepos, false);
});

test('environment variables override defaults and are coerced', () => {
  const c = loadConfig({ SLIPWAY_DATA: tmp(), SLIPWAY_PORT: '8123', SLIPWAY_ALLOW_FILE_REPOS: '1' });
  assert.equal(c.port, 8123);
  assert.equal(c.allowFileRepos, true);
});

test('an invalid value names the variable and the value', () => {
  assert.throws(() => loadConfig({ SLIPWAY_DATA: tmp(), SLIPWAY_PORT: 'eighty' }), /SLIPWAY_PORT \(port\).*"eighty"/s);
  assert.throws(() => loadConfig({ SLIPWAY_DATA: tmp(), SLIPWAY_HTTP_PORT: '70000' }), /SLIPWAY_HTTP_PORT/);
  assert.throws(() => loadConfig({ SLIPWAY_DATA: tmp(), SLIPWAY_LOG_LEVEL: 'loud' }), /SLIPWAY_LOG_LEVEL/);
});

test('a config file in the data dir is read, and env wins over it', () => {
  const dir = tmp();
  writeFileSync(path.join(dir, 'config.json'), JSON.stringify({ appsDomain: 'apps.example.com', port: 9000 }));
  const c = loadConfig({ SLIPWAY_DATA: dir, SLIPWAY_PORT: '9100' });
  assert.equal(c.appsDomain, 'apps.example.com');
  assert.equal(c.port, 9100);
});

test('a config file that is not JSON is refused with its path', () => {
  const dir = tmp();
  writeFileSync(path.join(dir, 'config.json'), '{nope');
  assert.throws(() => loadConfig({ SLIPWAY_DATA: dir }), /config\.json is not a JSON object/);
});

test('durations: SLIPWAY_AUTOSCALE_COOLDOWN=90s or =90 (seconds); a number in the config is milliseconds', () => {
  assert.equal(loadConfig({ SLIPWAY_DATA: tmp(), SLIPWAY_AUTOSCALE_COOLDOWN: '90s' }).autoscaleCooldown, 90_000);
  assert.equal(loadConfig({ SLIPWAY_DATA: tmp(), SLIPWAY_AUTOSCALE_COOLDOWN: '90' }).autoscaleCooldown, 90_000);
  assert.equal(loadConfig({ SLIPWAY_DATA: tmp() }, { autoscaleCooldown: 1500 }).autoscaleCooldown, 1500);
  assert.equal(loadConfig({ SLIPWAY_DATA: tmp() }).metricsRawRetention, 86_400_000);
  assert.throws(() => loadConfig({ SLIPWAY_DATA: tmp(), SLIPWAY_AUTOSCALE_WINDOW: 'soon' }), /SLIPWAY_AUTOSCALE_WINDOW.*a duration such as/s);
  assert.throws(() => loadConfig({ SLIPWAY_DATA: tmp(), SLIPWAY_METRICS_ROLLUPS: '1m' }), /SLIPWAY_METRICS_ROLLUPS/);
});

test('HTTPS settings: 443 by default, 0 turns it off; the API domain makes the public URL HTTPS', async () => {
  const { dataPaths, publicApiUrl } = await import('../../../src/config.js');
  const dir = tmp();
  const c = loadConfig({ SLIPWAY_DATA: dir });
  assert.equal(c.httpsPort, 443);
  assert.equal(c.httpsRedirect, false);
  assert.equal(c.certsAuto, undefined);
  assert.equal(loadConfig({ SLIPWAY_DATA: dir, SLIPWAY_HTTPS_PORT: '0' }).httpsPort, 0);
  assert.throws(() => loadConfig({ SLIPWAY_DATA: dir, SLIPWAY_API_DOMAIN: 'https://x' }), /SLIPWAY_API_DOMAIN/);
  assert.throws(() => loadConfig({ SLIPWAY_DATA: dir, SLIPWAY_ACME_EMAIL: 'nope' }), /SLIPWAY_ACME_EMAIL/);
  assert.equal(publicApiUrl(loadConfig({ SLIPWAY_DATA: dir, SLIPWAY_API_DOMAIN: 'deploy.example.com' })), 'https://deploy.example.com');
  assert.equal(publicApiUrl(loadConfig({ SLIPWAY_DATA: dir, SLIPWAY_API_DOMAIN: 'deploy.example.com', SLIPWAY_HTTPS_PORT: '8443' })), 'https://deploy.example.com:8443');
  assert.equal(publicApiUrl(c), 'http://127.0.0.1:7100');
  // Clear copies of keys for HAProxy live in memory, one directory per data dir.
  assert.match(dataPaths(c).tlsRuntime, /^\/dev\/shm\/slipway-tls-[0-9a-f]{12}$/);
  assert.notEqual(dataPaths(c).tlsRuntime, dataPaths(loadConfig({ SLIPWAY_DATA: tmp() })).tlsRuntime);
});

test("Redis's password comes from the install's password file unless the URL has one", () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'slipway-redis-pw-'));
  const file = path.join(dir, 'redis.password');
  assert.equal(withRedisPassword('redis://127.0.0.1:6379', file), 'redis://127.0.0.1:6379', 'no file: no password');
  writeFileSync(file, 'p@ss/word\n');
  assert.equal(withRedisPassword('redis://127.0.0.1:6379', file), 'redis://:p%40ss%2Fword@127.0.0.1:6379');
  assert.equal(withRedisPassword('redis://:mine@127.0.0.1:6379', file), 'redis://:mine@127.0.0.1:6379');
  assert.equal(redisUrlFrom({ SLIPWAY_DATA: dir }), 'redis://:p%40ss%2Fword@127.0.0.1:6379');
  // A data dir given in code (a test's own) still finds the install's password.
  const other = mkdtempSync(path.join(os.tmpdir(), 'slipway-data-'));
  assert.equal(loadConfig({ SLIPWAY_DATA: dir }, { dataDir: other }).redisUrl, 'redis://:p%40ss%2Fword@127.0.0.1:6379');
  assert.equal(loadConfig({ SLIPWAY_REDIS_PASSWORD_FILE: file, SLIPWAY_DATA: other }).redisUrl, 'redis://:p%40ss%2Fword@127.0.0.1:6379');
});
