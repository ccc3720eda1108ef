// Compose parsing benchmark: how long parseCompose (YAML, schema, Slipway's rules, the problem
// list) holds the event loop for a hostile file — thousands of unknown keys, each a problem —
// beside a normal file measured in the same run. The parse runs on the server's event loop,
// so its time is time every other request waits.
// Run: npx tsx bench/compose-parse.ts [KEYS=8000] [RUNS=5]
import { parseCompose } from '../src/deploy/compose.js';

const KEYS = Number(process.argv[2] ?? 8000);
const RUNS = Number(process.argv[3] ?? 5);
const OPTS = { allowHostBinds: false, allowPrivileged: false, vars: {} };

const normal = `services:
  web:
    build: .
    command: ["node", "web.js"]
    ports: ["3000"]
    environment:
      GREETING: hello
    healthcheck:
      test: ["CMD", "true"]
      interval: 1s
    depends_on: [worker]
  worker:
    build: .
    command: ["node", "worker.js"]
volumes:
  shared: {}
`;

/** One service with KEYS unknown keys, and as many unknown top-level keys. */
function hostile(keys: number): string {
  const lines = ['services:', '  web:', '    image: x'];
  for (let i = 0; i < keys / 2; i++) lines.push(`    unknown_key_${i}: ${i}`);
  for (let i = 0; i < keys / 2; i++) lines.push(`unknown_top_${i}: ${i}`);
  return lines.join('\n') + '\n';
}

function time(text: string): { ms: number; problems: string } {
  const t0 = performance.now();
  let problems = 'none';
  try {
    parseCompose(text, 'docker-compose.yml', OPTS);
  } catch (e) {
    const message = (e as Error).message;
    problems = `${message.split('\n').length - 1} lines, first: ${message.split('\n')[0]}; last: ${message.split('\n').at(-1)}`;
  }
  return { ms: performance.now() - t0, problems };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

time(normal); // compile the schema once, as a running server has
const bad = hostile(KEYS);
for (const [name, text] of [['normal', normal], [`hostile (${KEYS} unknown keys)`, bad]] as const) {
  const runs = Array.from({ length: RUNS }, () => time(text));
  console.log(`${name.padEnd(30)} ${(text.length / 1024).toFixed(1).padStart(7)} KiB  median ${median(runs.map((r) => r.ms)).toFixed(1).padStart(9)} ms  (${RUNS} runs)  ${runs[0]!.problems.slice(0, 160)}`);
}
