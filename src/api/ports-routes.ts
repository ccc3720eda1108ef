// /api/apps/:app/ports — the ports plugin: list, add (`{"add": ["http:8080:3000"]}`) and remove
// (`{"remove": ["8080"]}`) an app's host-port mappings.
import express, { type Request } from 'express';
import { UserError } from '../errors.js';
import type { AppPorts } from '../ports/service.js';
import type { State } from '../state/index.js';
import { body } from './http.js';

type AppReq = Request<{ app: string }>;

const strings = (v: unknown, key: string): string[] => {
  if (v === undefined) return [];
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string' || typeof x === 'number')) throw new UserError(`"${key}" must be a list of strings`, 422);
  return v.map(String);
};

export function portsRouter(deps: { state: State; ports: AppPorts }): express.Router {
  const r = express.Router({ mergeParams: true });

  r.get('/ports', (req: AppReq, res) => {
    const app = deps.state.apps.get(req.params.app);
    res.json(deps.ports.list(app.name));
  });

  r.post('/ports', async (req: AppReq, res) => {
    const app = deps.state.apps.get(req.params.app);
    const b = body(req);
    const add = strings(b.add, 'add');
    const remove = strings(b.remove, 'remove');
    if (!add.length && !remove.length) throw new UserError('send {"add": ["http:8080:3000"]} or {"remove": ["8080"]}', 422);
    if (remove.length) await deps.ports.remove(app, remove);
    if (add.length) await deps.ports.add(app, add);
    res.json(deps.ports.list(app.name));
  });

  return r;
}
