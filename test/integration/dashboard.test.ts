// The dashboard in a real browser (Debian's chromium via playwright-core) against a real Slipway:
// real Docker builds, real `git push`, HAProxy serving. What a user does: sign in (a wrong token
// is refused), see a pushed app, watch a push deploy live, roll back, read and search logs, set
// config, sign out; and what an attacker tries: a cross-origin POST riding the session cookie.
// Writes a screenshot of every page at 1280×800 and 390×844 to docs/screenshots/.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { ensureUiBuilt, launchBrowser, newPage, screenshot, SIZES } from '../helpers/browser.js';
import { pushUrl, repoFrom, type Repo } from '../helpers/git.js';
import { getViaProxy } from '../helpers/http.js';
import { ROOT, startTestServer, uniqueName, type TestServer } from '../helpers/server.js';

const FIXTURE = path.join(ROOT, 'test/fixtures/apps/dashboard-app');
let s: TestServer;
let browser: Browser;
let page: Page;
let repo: Repo;
const app = uniqueName('dash');
const host = () => `${app}.${s.config.appsDomain}`;
const body = async () => (await getViaProxy(s.config.httpPort, host())).body;

before(async () => {
  ensureUiBuilt();
  s = await startTestServer({ metricsInterval: 2 });
  browser = await launchBrowser();
  ({ page } = await newPage(browser, 'desktop'));
  repo = await repoFrom(FIXTURE);
  await repo.commit('v1');
});
after(async () => {
  await browser?.close();
  await s?.api(`/api/apps/${app}?confirm=${app}`, { method: 'DELETE' }).catch(() => undefined);
  await s?.stop();
});

async function signIn(p: Page, token: string): Promise<void> {
  await p.goto(s.url + '/');
  await p.getByLabel('API token or sign-in code').fill(token);
  await p.getByRole('button', { name: 'Sign in' }).click();
}

test('a wrong token is refused and the sign-in page stays', async () => {
  await signIn(page, 'sw_wrong-token');
  await page.getByRole('alert').filter({ hasText: 'not valid' }).waitFor();
  assert.equal((await page.context().cookies()).length, 0, 'no session cookie');
  for (const size of ['desktop', 'phone'] as const) {
    await page.setViewportSize(SIZES[size]);
    await screenshot(page, 'sign-in', size);
  }
  await page.setViewportSize(SIZES.desktop);
});

test('sign in with the token: httpOnly SameSite=Strict cookie, no token in the URL or the page', async () => {
  await signIn(page, s.token);
  await page.getByRole('heading', { name: 'Apps' }).waitFor();
  const [cookie] = await page.context().cookies();
  assert.equal(cookie?.name, 'slipway_session');
  assert.equal(cookie?.httpOnly, true);
  assert.equal(cookie?.sameSite, 'Strict');
  assert.equal(cookie?.path, '/api');
  assert.ok(!page.url().includes(s.token));
  assert.ok(!(await page.content()).includes(s.token), 'the token is not in the page');
  assert.equal(await page.evaluate(() => document.cookie), '', 'page scripts cannot read the session');
});

test('an app created in the UI and pushed to shows in the apps list, serving v1', async () => {
  await page.getByRole('button', { name: 'New app' }).click();
  await page.getByLabel('Name').fill(app);
  await page.getByRole('button', { name: 'Create' }).click();
  await page.waitForURL(`**/apps/${app}`);
  await page.goto(s.url + '/');
  const row = page.locator(`tr[data-app="${app}"]`);
  await row.getByText('new').waitFor();
  const pushed = await repo.push(pushUrl(s.url, s.token, app));
  assert.equal(pushed.code, 0, pushed.output);
  // The list re-reads when the server pushes the deployment's events: no reload here.
  await row.getByText('serving').waitFor();
  await row.getByRole('cell', { name: 'v1', exact: true }).waitFor();
  assert.match(await row.innerText(), /push · succeeded/);
  assert.match(await body(), /dashboard-app first greeting=none/);
});

test('a push made now appears live on the deploys page and ends "Deployed v2"', async () => {
  await page.goto(`${s.url}/apps/${app}/deploys`);
  await page.getByText('following the newest').waitFor();
  await page.locator('.outcome-succeeded').waitFor();
  await repo.commit('v2', { VERSION: 'second\n' });
  let pushDone = false;
  const push = repo.push(pushUrl(s.url, s.token, app)).then((r) => ((pushDone = true), r));
  // The new deployment and its build lines arrive while the push is still running.
  await page.locator('.deploy-list li.selected').filter({ hasText: /running|queued/ }).waitFor();
  await page.locator('.deploy-output summary').filter({ hasText: 'Building' }).waitFor();
  assert.equal(pushDone, false, 'the output streamed before the push finished');
  await page.locator('.outcome').filter({ hasText: 'Deployed v2' }).waitFor();
  const pushed = await push;
  assert.equal(pushed.code, 0, pushed.output);
  assert.match(await page.locator('.deploy-output').innerText(), /Deployed v2 at http/);
  assert.match(await body(), /dashboard-app second/);
});

test('Rollback (keyboard: focus, Enter, Enter) shows the rollout live and the URL serves the old body', async () => {
  await page.goto(`${s.url}/apps/${app}`);
  const v1 = page.locator('tr[data-release="1"]');
  await v1.getByRole('button', { name: 'Rollback to v1' }).focus();
  await page.keyboard.press('Enter');
  await page.getByRole('heading', { name: 'Roll back to v1?' }).waitFor();
  await page.keyboard.press('Enter');
  await page.locator('.live-rollout .outcome').filter({ hasText: 'Deployed v3' }).waitFor();
  assert.match(await page.locator('.live-rollout').innerText(), /Rollback to v1/);
  assert.match(await body(), /dashboard-app first greeting=none/);
  await page.locator('tr[data-release="3"]').getByText('serving').waitFor();
});

test('config set in the UI makes a release and reaches the container', async () => {
  const value = `hello-${Date.now()}`;
  await page.goto(`${s.url}/apps/${app}`);
  await page.getByLabel('Key').fill('GREETING');
  await page.getByLabel('Value').fill(value);
  await page.getByRole('button', { name: 'Set', exact: true }).click();
  await page.locator('.live-rollout .outcome').filter({ hasText: 'Deployed v4' }).waitFor();
  assert.match(await body(), new RegExp(`greeting=${value}`));
  // Hidden until revealed.
  const row = page.locator('tr[data-key="GREETING"]');
  assert.ok(!(await row.innerText()).includes(value));
  await row.getByRole('button', { name: 'Reveal GREETING' }).click();
  await row.getByText(value).waitFor();
});

test('the logs page shows a line the app just wrote, and search finds it (the URL holds the filter)', async () => {
  await page.goto(`${s.url}/apps/${app}/logs`);
  await page.getByText('live', { exact: true }).waitFor();
  const marker = `marker-${Date.now().toString(36)}`;
  await getViaProxy(s.config.httpPort, host(), `/${marker}`);
  await page.locator('.logline').filter({ hasText: `GET /${marker}` }).waitFor();
  await page.getByLabel('Search').fill(marker);
  await page.getByLabel('Search').press('Enter');
  await page.waitForURL(`**/logs?grep=${marker}`);
  await page.locator('.logline mark').filter({ hasText: marker }).waitFor();
  assert.ok((await page.locator('.logline').count()) >= 1);
  // A shared link opens the same view.
  await page.goto(`${s.url}/apps/${app}/logs?grep=${marker}&stream=stdout`);
  await page.locator('.logline').filter({ hasText: marker }).first().waitFor();
  assert.equal(await page.getByLabel('Stream').inputValue(), 'stdout');
});

test('a cross-origin POST riding the session cookie is refused', async () => {
  const before = ((await (await s.api(`/api/apps/${app}/deploys`)).json()) as unknown[]).length;
  // Another origin on the same host (another port): same-site, so the Strict cookie IS sent —
  // the Origin check is what refuses it. A plain form POST needs no CORS preflight.
  const evil = http.createServer((_req, res) => {
    res.setHeader('content-type', 'text/html');
    res.end(`<form id=f method=POST action="${s.url}/api/apps/${app}/rollback" enctype="text/plain"><input name=x value=y></form><script>f.submit()</script>`);
  });
  await new Promise<void>((r) => evil.listen(0, '127.0.0.1', () => r()));
  const evilUrl = `http://127.0.0.1:${(evil.address() as AddressInfo).port}/`;
  try {
    const answer = page.waitForResponse((r) => r.url().endsWith('/rollback'));
    await page.goto(evilUrl);
    const res = await answer;
    assert.equal(res.status(), 403);
    assert.match(await res.text(), /cross-origin request refused/);
  } finally {
    evil.close();
  }
  const after = ((await (await s.api(`/api/apps/${app}/deploys`)).json()) as unknown[]).length;
  assert.equal(after, before, 'no deployment was made');
});

test('screenshots of every page at 1280×800 and 390 wide, without layout shift on the live pages', async () => {
  for (const size of ['desktop', 'phone'] as const) {
    const { context, page: p } = await newPage(browser, size);
    await context.addCookies(await page.context().cookies());
    await p.addInitScript(() => {
      (window as unknown as { cls: number }).cls = 0;
      new PerformanceObserver((list) => {
        for (const e of list.getEntries() as (PerformanceEntry & { value: number; hadRecentInput: boolean })[]) if (!e.hadRecentInput) (window as unknown as { cls: number }).cls += e.value;
      }).observe({ type: 'layout-shift', buffered: true });
    });
    const shots: [string, string, () => Promise<unknown>][] = [
      ['apps', '/', () => p.locator(`tr[data-app="${app}"]`).getByText('serving').waitFor()],
      ['app', `/apps/${app}`, () => p.locator('tr[data-release="4"]').waitFor()],
      ['deploys', `/apps/${app}/deploys`, () => p.locator('.outcome-succeeded').waitFor()],
      ['logs', `/apps/${app}/logs`, () => p.locator('.logline').first().waitFor()],
      ['metrics', `/apps/${app}/metrics?range=15m`, () => p.locator('.chart canvas').first().waitFor()],
      ['jobs', `/apps/${app}/jobs`, () => p.getByRole('heading', { name: 'Jobs' }).waitFor()],
    ];
    for (const [name, url, ready] of shots) {
      await p.goto(s.url + url);
      await ready();
      await p.waitForTimeout(300);
      await screenshot(p, name, size);
      const cls = await p.evaluate(() => (window as unknown as { cls: number }).cls);
      assert.ok(cls < 0.1, `${name} at ${size}: cumulative layout shift ${cls}`);
    }
    await context.close();
  }
});

test('destroying an app from the list asks for its name first, then the app is gone', async () => {
  await page.goto(s.url + '/');
  const row = page.locator(`tr[data-app="${app}"]`);
  await row.getByRole('button', { name: `Destroy ${app}` }).click();
  const dialog = page.getByRole('dialog');
  const confirm = dialog.getByRole('button', { name: 'Destroy', exact: true });
  assert.equal(await confirm.isDisabled(), true, 'nothing typed yet');
  await dialog.getByLabel(/to confirm/).fill(app.slice(0, -1));
  assert.equal(await confirm.isDisabled(), true, 'a name that is not the app');
  await dialog.getByLabel(/to confirm/).fill(app);
  await confirm.click();
  await row.waitFor({ state: 'detached' });
  assert.equal((await s.api(`/api/apps/${app}`)).status, 404);
});

test('signing out ends the session on the server', async () => {
  const [cookie] = await page.context().cookies();
  await page.goto(s.url + '/');
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByLabel('API token or sign-in code').waitFor();
  const res = await fetch(`${s.url}/api/apps`, { headers: { cookie: `${cookie!.name}=${cookie!.value}` } });
  assert.equal(res.status, 401);
});
