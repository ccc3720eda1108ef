// /api/apps/:app/domains and /api/apps/:app/certs — thin: names are checked in src/domains,
// certificates in src/certs. Private keys come in (certs:add) and never go out.
import express, { type Request } from 'express';
import { UserError } from '../errors.js';
import type { DomainService } from '../domains/service.js';
import type { AcmeJobs } from '../certs/acme-jobs.js';
import type { CertService } from '../certs/service.js';
import { body, stringField } from './http.js';

type AppReq = Request<{ app: string }>;

export function tlsRouter(deps: { domains: DomainService; certs: CertService; acme: AcmeJobs }) {
  const { domains, certs, acme } = deps;
  const r = express.Router({ mergeParams: true });

  r.get('/domains', (req: AppReq, res) => {
    res.json(domains.list(req.params.app));
  });

  r.post('/domains', async (req: AppReq, res) => {
    res.status(201).json(await domains.add(req.params.app, stringField(body(req), 'domain')!));
  });

  r.delete('/domains/:domain', async (req: Request<{ app: string; domain: string }>, res) => {
    await domains.remove(req.params.app, req.params.domain);
    res.json({ removed: req.params.domain });
  });

  r.get('/certs', (req: AppReq, res) => {
    res.json({ auto: acme.autoFor(req.params.app), ...certs.view(req.params.app) });
  });

  r.post('/certs', async (req: AppReq, res) => {
    const b = body(req);
    res.status(201).json(await certs.upload(req.params.app, stringField(b, 'cert')!, stringField(b, 'key')!));
  });

  r.delete('/certs/:id', async (req: Request<{ app: string; id: string }>, res) => {
    const id = Number(req.params.id);
    if (!Number.isInteger(id)) throw new UserError(`certificate ids are numbers (see: slipway certs ${req.params.app})`, 422);
    await certs.removeUploaded(req.params.app, id);
    res.json({ removed: id });
  });

  r.post('/certs/auto', async (req: AppReq, res) => {
    const enabled = body(req).enabled;
    if (typeof enabled !== 'boolean') throw new UserError('field "enabled" must be true or false', 422);
    res.json({ auto: enabled, managed: await acme.setAuto(req.params.app, enabled) });
  });

  r.post('/certs/renew', async (req: AppReq, res) => {
    const domain = stringField(body(req), 'domain', false);
    res.status(202).json({ queued: await acme.renew(req.params.app, domain) });
  });

  return r;
}
