// Time limits on a deploy and on its steps, as AbortSignals the steps pass down to the work
// itself (the Engine stops a build whose request is dropped, a one-off container is removed, a
// health wait ends). A signal's reason is the UserError the deploy fails with, naming the step
// and the setting that bounds it; deadlines are never retried.
import { UserError } from './errors.js';

/** `20 s`, `10 min`, `1 h 30 min` */
export function formatSeconds(seconds: number): string {
  if (seconds < 120) return `${seconds} s`;
  const h = Math.floor(seconds / 3600);
  const m = Math.round((seconds % 3600) / 60);
  return h ? `${h} h${m ? ` ${m} min` : ''}` : `${m} min`;
}

/** The error a step fails with when its limit passes. */
export function stepTimeout(step: string, seconds: number, setting: string): UserError {
  return new UserError(`${step} took longer than its limit of ${formatSeconds(seconds)} (${setting}) and was stopped`, 504);
}

export interface StepSignal {
  signal: AbortSignal;
  /** Clears the timer; call when the step is over. */
  done(): void;
}

/** Aborts when `parent` does (with the parent's reason) or after `seconds` (naming the step). */
export function stepSignal(parent: AbortSignal | undefined, step: string, seconds: number, setting: string): StepSignal {
  const ac = new AbortController();
  const onParent = () => ac.abort(parent!.reason);
  if (parent?.aborted) onParent();
  else parent?.addEventListener('abort', onParent, { once: true });
  const timer = setTimeout(() => ac.abort(stepTimeout(step, seconds, setting)), seconds * 1000);
  timer.unref();
  return {
    signal: ac.signal,
    done: () => {
      clearTimeout(timer);
      parent?.removeEventListener('abort', onParent);
    },
  };
}

/** Runs `work` under a step limit (work must stop when the signal aborts), clearing the timer after. */
export async function withinStep<T>(parent: AbortSignal | undefined, step: string, seconds: number, setting: string, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const s = stepSignal(parent, step, seconds, setting);
  try {
    return await work(s.signal);
  } finally {
    s.done();
  }
}

/** The overall deadline of one deploy attempt. `step` names what runs now, for the message. */
export class DeployDeadline {
  private readonly ac = new AbortController();
  private readonly timer: NodeJS.Timeout;
  private current = 'starting';

  constructor(readonly seconds: number, readonly setting = 'SLIPWAY_DEPLOY_TIMEOUT') {
    this.timer = setTimeout(
      () => this.ac.abort(new UserError(`the deploy took longer than its limit of ${formatSeconds(seconds)} (${setting}) and was stopped during ${this.current}`, 504)),
      seconds * 1000,
    );
    this.timer.unref();
  }

  get signal(): AbortSignal {
    return this.ac.signal;
  }

  step(name: string): void {
    this.current = name;
  }

  dispose(): void {
    clearTimeout(this.timer);
  }
}
