// Client for HAProxy's Runtime API (stats socket) and master CLI (master socket): one command
// per connection — send it, half-close, read until HAProxy closes. No session state to lose.
import net from 'node:net';
import { TransientError } from '../errors.js';
import { responseError } from './commands.js';

/** Largest answer accepted; `show stat`/`show servers state` for hundreds of apps fit easily. */
const MAX_RESPONSE = 16 * 1024 * 1024;

/** Sends one command and resolves to HAProxy's answer, whatever it says. */
export function sendCommand(socketPath: string, command: string, timeoutMs = 10_000): Promise<string> {
  if (/[\r\n;]/.test(command)) return Promise.reject(new Error(`refusing a Runtime API command with a newline or ";": ${JSON.stringify(command)}`));
  return send(socketPath, command, command + '\n', timeoutMs);
}

/** Sends `command <<` then the payload's lines and the empty line that ends them (e.g. a PEM
 *  for `set ssl cert`). A payload with an empty line would end early: refused. */
export function sendPayload(socketPath: string, command: string, payload: string, timeoutMs = 10_000): Promise<string> {
  if (/[\r\n;]/.test(command) || !command.endsWith(' <<')) return Promise.reject(new Error(`refusing a Runtime API payload command ${JSON.stringify(command)}`));
  if (/\r|\n\n|^\n|\n$/.test(payload) || payload === '') return Promise.reject(new Error(`refusing an empty payload or one with an empty line for "${command}"`));
  return send(socketPath, command, `${command}\n${payload}\n\n`, timeoutMs);
}

function send(socketPath: string, command: string, text: string, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const sock = net.connect(socketPath);
    const timer = setTimeout(() => sock.destroy(new TransientError(`HAProxy did not answer "${command}" on ${socketPath} within ${timeoutMs} ms`)), timeoutMs);
    sock.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_RESPONSE) sock.destroy(new Error(`HAProxy's answer to "${command}" is larger than ${MAX_RESPONSE} bytes`));
      else chunks.push(c);
    });
    sock.on('end', () => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks).toString('utf8'));
    });
    sock.on('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(e instanceof TransientError ? e : new TransientError(`HAProxy socket ${socketPath}: ${e.message}`));
    });
    // Without the half-close the master CLI keeps the connection open after answering.
    sock.end(text);
  });
}

/** Sends one command and throws HAProxy's error text when it refused it. */
export async function runCommand(socketPath: string, command: string): Promise<string> {
  const answer = await sendCommand(socketPath, command);
  const error = responseError(command, answer);
  if (error !== null) throw new Error(`HAProxy refused "${command}": ${error}`);
  return answer;
}
