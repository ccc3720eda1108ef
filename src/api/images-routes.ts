// /api/images — base images in Slipway's registry: list them with digests, import a `docker
// save` archive (the body, as application/x-tar) so every later build's FROM finds it.
import express from 'express';
import type Dockerode from 'dockerode';
import { importImages, listBaseImages } from '../registry/base-images.js';

export function imagesRouter(deps: { docker: Dockerode; registry: string }): express.Router {
  const r = express.Router();

  r.get('/', async (_req, res) => {
    res.json(await listBaseImages(deps.registry));
  });

  r.post('/import', async (req, res) => {
    res.json(await importImages(deps.docker, deps.registry, req));
  });

  return r;
}
