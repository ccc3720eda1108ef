// git over smart HTTP at /git/APP.git, served by git's own `git http-backend` (CGI): we only
// authenticate (HTTP basic, password = a Slipway token), map the URL to the app's bare repo,
// and pass the environment the pre-receive hook needs to stream the deploy back.
import { spawn } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import express, { type Request, type Response } from 'express';
import { gitToken } from '../api/auth.js';
import { authenticated } from '../api/deadline.js';
import type { Logger } from '../log.js';
import type { Tokens } from '../state/tokens.js';
import type { GitRepos } from './repos.js';

export interface GitHttpDeps {
  tokens: Tokens;
  repos: GitRepos;
  reposDir: string;
  logger: Logger;
  /** The app's deploy branches (e.g. main, master), or null when there is no such app. */
  deployBranches(app: string): string[] | null;
  /** URL the hook calls back (the API's own address). */
  apiUrl(): string;
}

const PATH = /^\/([a-z0-9-]{1,63})\.git(\/info\/refs|\/git-upload-pack|\/git-receive-pack|\/HEAD)$/;

function deny(res: Response, status: number, message: string) {
  if (status === 401) res.setHeader('WWW-Authenticate', 'Basic realm="Slipway"');
  res.status(status).type('text/plain').send(message + '\n');
}

export function gitRouter(deps: GitHttpDeps): express.Router {
  const r = express.Router();
  r.use(async (req: Request, res: Response) => {
    const m = PATH.exec(req.path);
    if (!m) return deny(res, 404, 'not a git endpoint: use /git/APP.git');
    const [, app, endpoint] = m as unknown as [string, string, string];
    const token = gitToken(req);
    const who = deps.tokens.verify(token);
    if (!who) return deny(res, 401, token ? 'Slipway: invalid token' : 'Slipway: authentication required (password = an API token)');
    authenticated(res);
    const branches = deps.deployBranches(app);
    if (!branches) return deny(res, 404, `Slipway: no app named ${app} (create it with: slipway apps:create ${app})`);
    await deps.repos.ensure(app);

    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      GIT_PROJECT_ROOT: deps.reposDir,
      GIT_HTTP_EXPORT_ALL: '1',
      GIT_HTTP_MAX_REQUEST_BUFFER: '100M',
      PATH_INFO: `/${app}.git${endpoint}`,
      REQUEST_METHOD: req.method,
      QUERY_STRING: new URL(req.originalUrl, 'http://x').search.slice(1),
      CONTENT_TYPE: req.headers['content-type'] ?? '',
      REMOTE_USER: who,
      REMOTE_ADDR: req.socket.remoteAddress ?? '',
      GIT_PROTOCOL: String(req.headers['git-protocol'] ?? ''),
      HTTP_CONTENT_ENCODING: String(req.headers['content-encoding'] ?? ''),
      // For the pre-receive hook:
      SLIPWAY_URL: deps.apiUrl(),
      SLIPWAY_TOKEN: token,
      SLIPWAY_APP: app,
      SLIPWAY_DEPLOY_BRANCHES: branches.join(','),
    };
    if (req.headers['content-length']) env.CONTENT_LENGTH = req.headers['content-length'];
    const cgi = spawn('git', ['http-backend'], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    const fault = (what: string) => (e: Error) => deps.logger.debug(`git http-backend: ${what}`, { app, error: e.message });
    // git may stop reading early (it exits first, or a pack over receive.maxInputSize): that ends this request, not the server.
    feedBody(req, cgi.stdin, fault('request body'));
    cgi.stderr.on('data', (d: Buffer) => deps.logger.debug('git http-backend', { app, stderr: d.toString().trim() }));
    cgi.stderr.on('error', fault('stderr'));
    relayCgi(cgi.stdout, res, fault('response'));
    cgi.on('error', (e) => {
      deps.logger.error('git http-backend failed to start', { error: e.message });
      if (!res.headersSent) deny(res, 500, 'Slipway: git is not available on the server');
    });
    // The response closing early means the client went away (req 'close' fires once the body is read).
    res.on('close', () => {
      if (!res.writableFinished) cgi.kill('SIGTERM');
    });
  });
  return r;
}

/**
 * Streams the request body into the backend's stdin. The backend may exit before it has read
 * it all (a POST to info/refs, a push it refuses): its own answer still goes out, and the rest
 * of the body is read and dropped instead of written to a closed pipe (EPIPE). Not
 * `stream.pipeline`: on error it destroys the request, and with it the socket git answers on.
 */
function feedBody(req: Request, stdin: Writable, onError: (e: Error) => void): void {
  stdin.on('error', (e) => {
    req.unpipe(stdin);
    req.resume();
    onError(e);
  });
  req.on('error', (e) => {
    stdin.destroy();
    onError(e);
  });
  req.pipe(stdin);
}

/** Parses the CGI header block (Status, Content-Type, …) then streams the body as it comes. */
function relayCgi(out: Readable, res: Response, onError: (e: Error) => void) {
  let head = Buffer.alloc(0);
  let inBody = false;
  // The backend dying mid-answer ends the response; the client sees a cut transfer, git retries.
  out.on('error', (e) => {
    onError(e);
    res.destroy();
  });
  res.on('error', onError);
  out.on('data', (chunk: Buffer) => {
    if (inBody) {
      res.write(chunk);
      return;
    }
    head = Buffer.concat([head, chunk]);
    let sep = head.indexOf('\r\n\r\n');
    let sepLen = 4;
    if (sep < 0) {
      sep = head.indexOf('\n\n');
      sepLen = 2;
    }
    if (sep < 0) return;
    for (const line of head.subarray(0, sep).toString('latin1').split(/\r?\n/)) {
      const i = line.indexOf(':');
      if (i < 0) continue;
      const name = line.slice(0, i).trim();
      const value = line.slice(i + 1).trim();
      if (name.toLowerCase() === 'status') res.status(parseInt(value, 10));
      else res.setHeader(name, value);
    }
    // Progress lines must reach the pusher as they happen.
    res.setHeader('X-Accel-Buffering', 'no');
    res.flushHeaders();
    inBody = true;
    const rest = head.subarray(sep + sepLen);
    if (rest.length) res.write(rest);
  });
  out.on('end', () => res.end());
}
