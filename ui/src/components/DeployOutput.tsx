// A deployment's output, live: server-sent events from /deploys/ID/output (the same lines `git
// push` shows), grouped into collapsible sections and build steps, the failure line marked, and
// the outcome as a banner. A finished deploy replays the same way.
import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';
import { appPath, events } from '../api';
import { FAILURE, groupOutput, outcomeText, type DeployOutcome, type OutputSection } from '../lib/deploy-output';

export function DeployOutput(props: { app: string; id: number; onDone?: (o: DeployOutcome) => void }) {
  const lines = useRef<string[]>([]);
  const [, setVersion] = useState(0);
  const [outcome, setOutcome] = useState<DeployOutcome | null>(null);
  const box = useRef<HTMLDivElement>(null);
  const stick = useRef(true);
  const done = useRef(props.onDone);
  done.current = props.onDone;

  useEffect(() => {
    lines.current = [];
    setOutcome(null);
    setVersion((v) => v + 1);
    stick.current = true;
    const source = events(appPath(props.app, `deploys/${props.id}/output`));
    let frame = 0;
    // Lines come in bursts (a build); draw once per frame, not once per line.
    const redraw = () => {
      if (!frame) frame = requestAnimationFrame(() => ((frame = 0), setVersion((v) => v + 1)));
    };
    source.onmessage = (e: MessageEvent<string>) => {
      lines.current.push(e.data);
      redraw();
    };
    source.addEventListener('status', (e) => {
      const o = JSON.parse((e as MessageEvent<string>).data) as DeployOutcome;
      source.close();
      setOutcome(o);
      redraw();
      done.current?.(o);
    });
    return () => {
      source.close();
      cancelAnimationFrame(frame);
    };
  }, [props.app, props.id]);

  useLayoutEffect(() => {
    const el = box.current;
    if (!el) return;
    if (outcome?.status === 'failed') el.querySelector('.fail')?.scrollIntoView({ block: 'center' });
    else if (stick.current) el.scrollTop = el.scrollHeight;
  });

  const sections = groupOutput(lines.current);
  const live = outcome === null;
  return (
    <div class="deploy-output">
      <div
        class="output"
        ref={box}
        tabIndex={0}
        aria-label={`output of deployment ${props.id}`}
        aria-busy={live}
        onScroll={(e) => {
          const el = e.currentTarget as HTMLDivElement;
          stick.current = el.scrollHeight - el.scrollTop - el.clientHeight < 24;
        }}
      >
        {sections.length === 0 && <p class="muted">{live ? 'Waiting for output…' : 'No output.'}</p>}
        {sections.map((s, i) => (
          <Section section={s} last={i === sections.length - 1} live={live} />
        ))}
      </div>
      <p class={`outcome ${outcome ? `outcome-${outcome.status}` : 'outcome-live'}`} role="status" aria-live="polite">
        {outcome ? outcomeText(outcome) : <span class="pulse">Live</span>}
      </p>
    </div>
  );
}

function Lines(props: { lines: string[] }) {
  return (
    <pre>
      {props.lines.map((l) => (
        <span class={FAILURE.test(l) ? 'line fail' : 'line'}>{l + '\n'}</span>
      ))}
    </pre>
  );
}

function Section(props: { section: OutputSection; last: boolean; live: boolean }) {
  const s = props.section;
  const body = (
    <>
      <Lines lines={s.lines} />
      {s.steps.map((step, i) => {
        const running = props.live && props.last && i === s.steps.length - 1;
        return (
          <details class={`step${step.failed ? ' failed' : ''}`} open={step.failed || running}>
            <summary>
              {step.title} <span class="muted">({step.lines.length} lines)</span>
            </summary>
            <Lines lines={step.lines} />
          </details>
        );
      })}
    </>
  );
  if (!s.title) return <div class="section">{body}</div>;
  return (
    <details class={`section${s.failed ? ' failed' : ''}`} open>
      <summary>
        <span class="arrow" aria-hidden="true">
          -----&gt;
        </span>{' '}
        {s.title}
      </summary>
      {body}
    </details>
  );
}
