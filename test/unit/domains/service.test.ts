// Domains: one owner per name, routed at once, the default address kept, the API's own name.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openTestState as openState } from '../../helpers/state.js';
import { claimApiDomain, DomainService } from '../../../src/domains/service.js';

function setup() {
  const state = openState(':memory:');
  const calls: string[] = [];
  const domains = new DomainService({
    state,
    appsDomain: 'apps.test',
    routes: { addHost: async (app, h) => void calls.push(`route ${h} ${app}`), removeHost: async (h) => void calls.push(`unroute ${h}`) },
    listener: { added: async (app, d) => void calls.push(`added ${app} ${d}`), removed: async (app, d) => void calls.push(`removed ${app} ${d}`) },
  });
  state.apps.create('shop');
  state.apps.create('blog');
  return { state, domains, calls };
}

test('a domain is stored punycoded, routed at once, and heard of by the certificate side', async () => {
  const { domains, calls } = setup();
  const v = await domains.add('shop', 'Bücher.Example.');
  assert.deepEqual(v, { name: 'xn--bcher-kva.example', unicode: 'bücher.example', default: false });
  assert.deepEqual(calls, ['route xn--bcher-kva.example shop', 'added shop xn--bcher-kva.example']);
  assert.deepEqual(domains.list('shop').map((d) => [d.name, d.default]), [['shop.apps.test', true], ['xn--bcher-kva.example', false]]);
  assert.deepEqual(domains.customNames('shop'), ['xn--bcher-kva.example']);
});

test("a name belongs to one app: the conflict names the owner and changes nothing", async () => {
  const { domains, calls } = setup();
  await domains.add('shop', 'www.shop.example');
  calls.length = 0;
  await assert.rejects(domains.add('blog', 'WWW.shop.example'), /www\.shop\.example already belongs to app shop: remove it there first \(slipway domains:remove shop www\.shop\.example\)/);
  await assert.rejects(domains.add('shop', 'www.shop.example'), /already a domain of shop/);
  await assert.rejects(domains.add('blog', 'shop.apps.test'), /default address of app shop/);
  await assert.rejects(domains.add('blog', 'future.apps.test'), /reserved: names APP\.apps\.test/);
  await assert.rejects(domains.add('shop', 'shop.apps.test'), /already shop's default address/);
  assert.deepEqual(calls, []);
  assert.deepEqual(domains.customNames('blog'), []);
});

test("removing: the route goes, then the name; the default address and others' names cannot be removed", async () => {
  const { domains, calls } = setup();
  await domains.add('shop', 'www.shop.example');
  calls.length = 0;
  await assert.rejects(domains.remove('shop', 'shop.apps.test'), /default address; it always routes/);
  await assert.rejects(domains.remove('blog', 'www.shop.example'), /not a domain of blog/);
  await domains.remove('shop', 'WWW.shop.example');
  assert.deepEqual(calls, ['unroute www.shop.example', 'removed shop www.shop.example']);
  assert.deepEqual(domains.customNames('shop'), []);
});

test("the API domain is Slipway's own: apps cannot take it, and it cannot be one an app holds", async () => {
  const { state, domains } = setup();
  assert.deepEqual(claimApiDomain(state, 'api.slipway.example'), { removed: [] });
  await assert.rejects(domains.add('shop', 'api.slipway.example'), /Slipway's own API domain/);
  assert.deepEqual(claimApiDomain(state, 'deploy.slipway.example'), { removed: ['api.slipway.example'] });
  await domains.add('shop', 'api.slipway.example');
  assert.throws(() => claimApiDomain(state, 'api.slipway.example'), /is a domain of app shop/);
  assert.deepEqual(claimApiDomain(state, undefined), { removed: ['deploy.slipway.example'] });
});

test('destroying an app frees its names', async () => {
  const { state, domains } = setup();
  await domains.add('shop', 'www.shop.example');
  state.apps.destroy('shop');
  await domains.add('blog', 'www.shop.example');
  assert.deepEqual(domains.customNames('blog'), ['www.shop.example']);
});
