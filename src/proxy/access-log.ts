// Receives HAProxy's access log on a loopback UDP port: one short line per request (backend,
// status, response time), handed to a listener. HAProxy sends it without blocking; a lost
// datagram only costs one timing. The port is kept in a file so a restarted Slipway binds the
// same one and HAProxy's config (which names it) does not change.
import dgram from 'node:dgram';
import { readFileSync, writeFileSync } from 'node:fs';
import { parseAccessLine, type AccessLine } from './stats.js';

export class AccessLog {
  private listener: (line: AccessLine) => void = () => undefined;

  private constructor(
    private readonly socket: dgram.Socket,
    readonly port: number,
  ) {
    socket.on('message', (msg) => {
      const line = parseAccessLine(msg.toString('utf8'));
      if (line) this.listener(line);
    });
    socket.on('error', () => undefined);
  }

  /** Binds 127.0.0.1:`port`; with 0, the port saved in `portFile` when free, else any. */
  static async listen(port: number, portFile: string): Promise<AccessLog> {
    let saved = 0;
    try {
      saved = Number(readFileSync(portFile, 'utf8').trim()) || 0;
    } catch {
      /* first start */
    }
    const tries = port ? [port] : saved ? [saved, 0] : [0];
    let lastError: unknown;
    for (const p of tries) {
      try {
        const socket = await bind(p);
        const bound = socket.address().port;
        if (!port) writeFileSync(portFile, `${bound}\n`);
        return new AccessLog(socket, bound);
      } catch (e) {
        lastError = e;
      }
    }
    throw new Error(`cannot listen for HAProxy's access log on 127.0.0.1:${port}: ${(lastError as Error).message} (set SLIPWAY_HAPROXY_LOG_PORT)`);
  }

  onLine(listener: (line: AccessLine) => void): void {
    this.listener = listener;
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.socket.close(() => resolve()));
  }
}

function bind(port: number): Promise<dgram.Socket> {
  return new Promise((resolve, reject) => {
    const socket = dgram.createSocket('udp4');
    socket.once('error', reject);
    socket.bind(port, '127.0.0.1', () => {
      socket.off('error', reject);
      resolve(socket);
    });
  });
}
