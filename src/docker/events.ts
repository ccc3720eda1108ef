// The Engine's container event stream (`GET /events`), read as one parsed event a line. Shared by
// log shipping (start events) and job exits (die events).
// https://docs.docker.com/reference/api/engine/version/v1.41/#tag/System/operation/SystemEvents
import type Dockerode from 'dockerode';
import type { Readable } from 'node:stream';

export interface ContainerEvent {
  id: string;
  /** `start`, `die`, … */
  action: string;
  /** The container's labels and the event's own (`exitCode` on `die`, `name`). */
  attributes: Record<string, string>;
}

export interface EventQuery {
  event: string[];
  /** `key=value` label filters; an event must match all. */
  label: string[];
  /** Replay from this time (ms since the epoch) before the live events. */
  sinceMs?: number;
}

/**
 * Subscribes, then yields events until `signal` aborts (the iterable ends quietly) or the stream
 * breaks (it throws). Resolves once the Engine has answered: events after that are not missed.
 */
export async function containerEvents(docker: Dockerode, q: EventQuery, signal: AbortSignal): Promise<AsyncIterable<ContainerEvent>> {
  const stream = (await docker.getEvents({
    filters: { type: ['container'], event: q.event, label: q.label },
    ...(q.sinceMs === undefined ? {} : { since: (q.sinceMs / 1000).toFixed(3) }),
    abortSignal: signal,
  } as Dockerode.GetEventsOptions)) as unknown as Readable;
  return lines(stream, signal);
}

async function* lines(stream: Readable, signal: AbortSignal): AsyncIterable<ContainerEvent> {
  let buf = '';
  try {
    for await (const chunk of stream) {
      buf += (chunk as Buffer).toString('utf8');
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const ev = parseEvent(buf.slice(0, nl));
        buf = buf.slice(nl + 1);
        if (ev) yield ev;
      }
    }
  } catch (e) {
    if (!signal.aborted) throw e;
  } finally {
    stream.destroy();
  }
}

/** One line of the stream, or null for a blank or broken one. */
export function parseEvent(line: string): ContainerEvent | null {
  if (!line.trim()) return null;
  try {
    const ev = JSON.parse(line) as { status?: string; Action?: string; id?: string; Actor?: { ID?: string; Attributes?: Record<string, string> } };
    const id = ev.Actor?.ID ?? ev.id;
    const action = ev.Action ?? ev.status;
    return id && action ? { id, action, attributes: ev.Actor?.Attributes ?? {} } : null;
  } catch {
    return null;
  }
}
