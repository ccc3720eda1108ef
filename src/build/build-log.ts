// Turns the Engine's build messages into the user's build log (Heroku-indented lines, as they
// arrive) and, when a step fails, a message naming that step with its last output lines.
import type { Progress } from '../domain.js';
import type { JsonMessage } from '../docker/client.js';

/** Engine bookkeeping that tells the user nothing. */
const NOISE = [/^ ---> Running in [0-9a-f]+$/, /^Removing intermediate container [0-9a-f]+$/, /^ ---> [0-9a-f]{12}$/, /^Successfully tagged /];
// Docker colours a RUN step's stderr red (\x1b[91m); the log store and CLI want plain text.
const ANSI = /\x1b\[[0-9;]*m/g;
const STEP = /^Step \d+\/\d+ : /;
export const INDENT = '       ';

export class BuildLog {
  imageId: string | null = null;
  error: string | null = null;
  private partial = '';
  private step: string | null = null;
  private stepLines: string[] = [];

  constructor(private readonly progress: Progress, private readonly keepLines = 20) {}

  push(m: JsonMessage): void {
    if (m.stream !== undefined) this.text(m.stream);
    // Base image pulls: the per-layer progress bars are noise; the summary lines are not.
    else if (m.status !== undefined && m.id === undefined) this.line(m.status);
    if (m.aux?.ID) this.imageId = m.aux.ID;
    if (m.error !== undefined || m.errorDetail?.message !== undefined) {
      this.end();
      this.error = (m.errorDetail?.message ?? m.error ?? 'unknown error').trim();
    }
  }

  /** The step the build was at (`Step 1/5 : FROM node:22-slim`), or null before the first. */
  get currentStep(): string | null {
    return this.step;
  }

  /** Flushes a last line that had no newline. */
  end(): void {
    if (this.partial) this.line(this.partial);
    this.partial = '';
  }

  /** "build failed at Step 3/5 : RUN npm ci", the step's last lines, and the Engine's reason. */
  failureMessage(): string {
    const reason = this.error ?? 'the build ended without an image';
    if (this.step === null) return `build failed: ${reason}`;
    const tail = this.stepLines.map((l) => INDENT + l);
    return [`build failed at ${this.step}`, ...tail, reason].join('\n');
  }

  private text(s: string): void {
    const parts = (this.partial + s).split('\n');
    this.partial = parts.pop() ?? '';
    for (const p of parts) this.line(p);
  }

  private line(raw: string): void {
    // Progress bars redraw with \r: only the last state of the line matters.
    const line = (raw.replace(ANSI, '').split('\r').filter((s) => s !== '').pop() ?? '').trimEnd();
    if (line === '' || NOISE.some((re) => re.test(line))) return;
    if (STEP.test(line)) {
      this.step = line;
      this.stepLines = [];
    } else {
      this.stepLines.push(line);
      if (this.stepLines.length > this.keepLines) this.stepLines.shift();
    }
    this.progress(INDENT + line);
  }
}
