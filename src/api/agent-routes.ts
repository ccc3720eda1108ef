// The agents' API (swarm mode), served on the cluster address by a listener of its own, not
// under /api: the node agents post the lines they ship and read the checkpoints they resume
// from, and post the metrics samples of their nodes' containers. Authenticated by the agents' secret (a Swarm secret), which opens nothing else.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express, { type NextFunction, type Request, type Response } from 'express';
import { errorMessage } from '../errors.js';
import type { Logger } from '../log.js';
import type { LogService } from '../logs/service.js';
import { checkpointsBody, decodeItem, encodeCheckpoint, logsBody, metricsBody, type MetricsSample } from '../cluster/agent/wire.js';

export interface AgentApiDeps {
  secretMatches(presented: string): boolean;
  logs: LogService;
  /** Stores the samples an agent took of its node's containers (the metrics stage). */
  metrics(samples: MetricsSample[]): void;
  logger: Logger;
}

export function agentApp(deps: AgentApiDeps): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.use((req: Request, res: Response, next: NextFunction) => {
    const m = /^Bearer (.+)$/.exec(req.get('authorization') ?? '');
    if (!m || !deps.secretMatches(m[1]!)) {
      res.status(401).json({ error: 'not an agent of this Slipway' });
      return;
    }
    next();
  });
  app.use(express.json({ limit: '64mb' }));
  app.post('/agent/logs', (req, res) => {
    const b = logsBody.safeParse(req.body);
    if (!b.success) return void res.status(422).json({ error: b.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ') });
    res.json({ committed: deps.logs.ingest(b.data.run, b.data.items.map(decodeItem)) });
  });
  app.post('/agent/checkpoints', (req, res) => {
    const b = checkpointsBody.safeParse(req.body);
    if (!b.success) return void res.status(422).json({ error: 'expected {containers: string[], volumes: string[]}' });
    const cp = deps.logs.checkpoints(b.data.containers, b.data.volumes);
    res.json({ containers: cp.containers.map(encodeCheckpoint), files: cp.files });
  });
  app.post('/agent/metrics', (req, res) => {
    const b = metricsBody.safeParse(req.body);
    if (!b.success) return void res.status(422).json({ error: b.error.issues.slice(0, 5).map((i) => `${i.path.join('.')}: ${i.message}`).join('; ') });
    deps.metrics(b.data.samples);
    res.json({ stored: b.data.samples.length });
  });
  app.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    deps.logger.error('agent API request failed', { error: errorMessage(err) });
    res.status(500).json({ error: errorMessage(err) });
  });
  return app;
}

/** Listens on the cluster address; resolves to a close function. */
export async function listenAgentApi(app: express.Express, host: string, port: number): Promise<{ port: number; close(): Promise<void> }> {
  const server = http.createServer(app);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
