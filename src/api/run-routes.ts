// POST /api/apps/:app/run — a one-off command in the serving release (`slipway run`). Attached,
// the answer streams the command's output as text lines and ends with a status line carrying
// its exit code; detached (`"detach": true`), it answers at once with the container's id.
import express, { type Request } from 'express';
import { UserError } from '../errors.js';
import { HEARTBEAT_LINE, type OneOffRuns, type RunOutcome } from '../deploy/run.js';
import { STATUS_PREFIX } from '../queue/progress.js';
import type { State } from '../state/index.js';
import { body } from './http.js';

const HEARTBEAT_MS = 30_000;

export function runRouter(deps: { state: State; runs: OneOffRuns }): express.Router {
  const { state } = deps;
  const r = express.Router({ mergeParams: true });

  r.post('/run', async (req: Request<{ app: string }>, res) => {
    const app = state.apps.get(req.params.app);
    const b = body(req);
    const command = b.command;
    if (!Array.isArray(command) || !command.every((a) => typeof a === 'string')) throw new UserError('send {"command": ["ARG", …]}', 422);
    if (b.service !== undefined && typeof b.service !== 'string') throw new UserError('"service" must be a string', 422);
    const release = state.releases.current(app.id);
    if (!release) throw new UserError(`${app.name} has no release serving yet: push code first`, 409);
    const request = { command: command as string[], ...(b.service ? { service: b.service as string } : {}) };

    if (b.detach === true) {
      res.status(202).json(await deps.runs.detached(release, request));
      return;
    }
    // Errors before the command starts (no such service, bad image) still answer as JSON.
    const ac = new AbortController();
    res.on('close', () => {
      if (!res.writableFinished) ac.abort();
    });
    let started = false;
    let heartbeat: NodeJS.Timeout | undefined;
    const start = () => {
      if (started) return;
      started = true;
      res.status(200).type('text/plain; charset=utf-8').setHeader('Cache-Control', 'no-cache');
      res.flushHeaders();
      heartbeat = setInterval(() => res.write(HEARTBEAT_LINE + '\n'), HEARTBEAT_MS);
    };
    const write = (line: string) => {
      start();
      res.write(line + '\n');
    };
    try {
      const exitCode = await deps.runs.attached(release, request, write, ac.signal, start);
      write(STATUS_PREFIX + JSON.stringify({ exitCode } satisfies RunOutcome));
    } catch (e) {
      if (!started) throw e;
      write(`Error: ${(e as Error).message}`);
      write(STATUS_PREFIX + JSON.stringify({ exitCode: 1 } satisfies RunOutcome));
    } finally {
      clearInterval(heartbeat);
    }
    res.end();
  });

  return r;
}
