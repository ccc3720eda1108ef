// Slipway's pre-receive hook (plain Node, no dependencies): for a push to the deploy branch it
// streams `git archive` of the pushed commit to Slipway's deploy API and relays the build and
// deploy output live, so the user sees it as `remote:` lines. A failed deploy exits non-zero,
// which makes git reject the push: the branch keeps pointing at what is running.
// Runs inside git's quarantine environment, so `git archive` sees the incoming objects.
import { spawn } from 'node:child_process';
import http from 'node:http';
import readline from 'node:readline';

const { SLIPWAY_URL, SLIPWAY_TOKEN, SLIPWAY_APP, SLIPWAY_DEPLOY_BRANCHES = 'main' } = process.env;
const ZERO = /^0+$/;
const branches = SLIPWAY_DEPLOY_BRANCHES.split(',');
const STATUS_PREFIX = '\u001fslipway-status ';

const updates = [];
for await (const line of readline.createInterface({ input: process.stdin })) {
  const [oldSha, newSha, ref] = line.trim().split(/\s+/);
  if (ref) updates.push({ oldSha, newSha, ref });
}

let failed = false;
for (const u of updates) {
  const branch = u.ref.startsWith('refs/heads/') ? u.ref.slice('refs/heads/'.length) : null;
  if (ZERO.test(u.newSha)) continue; // deletion: nothing to deploy
  if (!branch || !branches.includes(branch)) {
    console.log(`-----> ${u.ref} stored; only ${branches.join(' or ')} deploys ${SLIPWAY_APP}`);
    continue;
  }
  const ok = await deploy(u.newSha, u.ref);
  if (!ok) failed = true;
}
// Exit only once git has every line: process.exit() right away drops output still queued for
// its pipe, which is the end of a long build log — the very lines that say why a deploy failed.
process.exitCode = failed ? 1 : 0;
process.stdout.write('', () => process.exit());

function deploy(sha, ref) {
  return new Promise((resolve) => {
    const url = new URL(`/api/apps/${SLIPWAY_APP}/deploys?trigger=push&sha=${sha}&ref=${encodeURIComponent(ref)}`, SLIPWAY_URL);
    const archive = spawn('git', ['archive', '--format=tar', sha], { stdio: ['ignore', 'pipe', 'inherit'] });
    const req = http.request(url, {
      method: 'POST',
      headers: { authorization: `Bearer ${SLIPWAY_TOKEN}`, 'content-type': 'application/x-tar' },
    });
    let status = null;
    req.on('response', async (res) => {
      if (res.statusCode !== 200) {
        let body = '';
        for await (const c of res) body += c;
        let msg = body;
        try { msg = JSON.parse(body).error ?? body; } catch { /* text */ }
        console.log(` !     ${msg.trim()}`);
        return resolve(false);
      }
      for await (const line of readline.createInterface({ input: res })) {
        if (line.startsWith(STATUS_PREFIX)) status = JSON.parse(line.slice(STATUS_PREFIX.length));
        else console.log(line);
      }
      if (!status) console.log(' !     lost contact with Slipway before the deploy finished');
      resolve(status?.status === 'succeeded');
    });
    req.on('error', (e) => {
      console.log(` !     cannot reach Slipway at ${SLIPWAY_URL}: ${e.message}`);
      resolve(false);
    });
    archive.stdout.pipe(req);
  });
}
