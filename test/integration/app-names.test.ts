// Two apps whose Docker names used to collide — app foo with service bar-web and volume bar-data,
// app foo-bar with service web and volume data (both `slipway-foo-bar-web-blue-1`,
// `slipway-foo-bar-data` before) — deploy side by side on the real engine: each serves its own
// body from its own volume, and redeploying one leaves the other's containers untouched. A volume
// an older Slipway made for an app (`slipway-APP-NAME`) is adopted with its data; one labelled as
// another app's is not.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { docker, useAppServer } from '../helpers/apps.js';
import { getViaProxy } from '../helpers/http.js';
import { uniqueName } from '../helpers/server.js';

const h = useAppServer('slipway-names-');

/** An app with one web service `service` that keeps `volume` at /data and serves what is in it. */
function appDir(app: string, service: string, volume: string): string {
  const dir = path.join(h.tmp, app);
  mkdirSync(dir);
  writeFileSync(path.join(dir, 'Dockerfile'), 'FROM node:18-slim\nWORKDIR /app\nCOPY server.js .\nCMD ["node", "server.js"]\n');
  writeFileSync(
    path.join(dir, 'server.js'),
    `const fs = require('fs');\n` +
      `if (!fs.existsSync('/data/owner')) fs.writeFileSync('/data/owner', ${JSON.stringify(app)});\n` +
      `require('http').createServer((q, r) => r.end('app=' + process.env.SLIPWAY_APP + ' data=' + fs.readFileSync('/data/owner', 'utf8') + ' ' + (process.env.V || ''))).listen(process.env.PORT);\n`,
  );
  writeFileSync(
    path.join(dir, 'docker-compose.yml'),
    `services:\n  ${service}:\n    build: .\n    labels:\n      slipway.role: web\n    volumes:\n      - ${volume}:/data\nvolumes:\n  ${volume}: {}\n`,
  );
  return dir;
}

const served = async (app: string) => (await getViaProxy(h.s.config.httpPort, `${app}.localhost`)).body;
const containerIds = async (app: string) =>
  (await docker.listContainers({ all: true, filters: { label: [`slipway.app=${app}`] } })).map((c) => `${c.Id} ${c.State}`).sort();

test('app foo (service bar-web, volume bar-data) and app foo-bar (service web, volume data) run side by side', async () => {
  const foo = uniqueName('nm');
  const fooBar = `${foo}-bar`;
  await h.create(foo);
  await h.create(fooBar);
  await h.deploy(foo, appDir(foo, 'bar-web', 'bar-data'));
  await h.deploy(fooBar, appDir(fooBar, 'web', 'data'));
  assert.equal(await served(foo), `app=${foo} data=${foo} `);
  assert.equal(await served(fooBar), `app=${fooBar} data=${fooBar} `);

  // Redeploying foo-bar (a config change: new containers, old ones stopped) leaves foo's alone.
  const fooBefore = await containerIds(foo);
  assert.equal(fooBefore.length, 1);
  assert.match(fooBefore[0]!, / running$/);
  const set = await h.s.cli(['config:set', fooBar, 'V=2']);
  assert.equal(set.code, 0, set.stdout + set.stderr);
  assert.equal(await served(fooBar), `app=${fooBar} data=${fooBar} 2`);
  assert.deepEqual(await containerIds(foo), fooBefore);
  assert.equal(await served(foo), `app=${foo} data=${foo} `);
});

test('a volume an older Slipway made for the app (slipway-APP-NAME) is adopted with its data; one labelled as another app\'s is not', async () => {
  const app = uniqueName('nmold');
  await h.create(app);
  const legacy = `slipway-${app}-data`;
  h.volumes.push(legacy);
  await docker.createVolume({ Name: legacy, Labels: { 'slipway.app': app } });
  writeFileSync(path.join((await docker.getVolume(legacy).inspect()).Mountpoint, 'owner'), 'kept-from-before-the-upgrade');
  await h.deploy(app, appDir(app, 'web', 'data'));
  assert.equal(await served(app), `app=${app} data=kept-from-before-the-upgrade `);

  const other = uniqueName('nmoth');
  await h.create(other);
  const theirs = `slipway-${other}-data`;
  h.volumes.push(theirs);
  await docker.createVolume({ Name: theirs, Labels: { 'slipway.app': `${other}-x` } });
  writeFileSync(path.join((await docker.getVolume(theirs).inspect()).Mountpoint, 'owner'), 'not yours');
  await h.deploy(other, appDir(other, 'web', 'data'));
  assert.equal(await served(other), `app=${other} data=${other} `);
});
