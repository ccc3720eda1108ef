// A list of fixed-height rows that draws only the rows in view (plus a margin), so 100 000 log
// lines scroll as smoothly as 100. Rows are absolutely placed inside one tall spacer: appending
// lines never moves what is on screen. Sticks to the bottom while the reader is there (a tail).
import type { ComponentChildren } from 'preact';
import { useLayoutEffect, useRef, useState } from 'preact/hooks';

export function VirtualList<T>(props: {
  items: readonly T[];
  rowHeight: number;
  row: (item: T, index: number) => ComponentChildren;
  /** Changes when items were appended or replaced (the array may be mutated in place). */
  version: number;
  label: string;
  overscan?: number;
}) {
  const box = useRef<HTMLDivElement>(null);
  const [view, setView] = useState({ top: 0, height: 600 });
  const atBottom = useRef(true);
  const n = props.items.length;
  const total = n * props.rowHeight;

  useLayoutEffect(() => {
    const el = box.current;
    if (!el) return;
    if (atBottom.current && el.scrollTop !== el.scrollHeight - el.clientHeight) el.scrollTop = el.scrollHeight;
    if (el.clientHeight !== view.height || el.scrollTop !== view.top) setView({ top: el.scrollTop, height: el.clientHeight });
  }, [props.version, n]);

  const over = props.overscan ?? 20;
  const first = Math.max(0, Math.floor(view.top / props.rowHeight) - over);
  const last = Math.min(n, Math.ceil((view.top + view.height) / props.rowHeight) + over);
  const rows: ComponentChildren[] = [];
  for (let i = first; i < last; i++)
    rows.push(
      <div class="vrow" role="listitem" style={{ top: `${i * props.rowHeight}px`, height: `${props.rowHeight}px` }} key={i}>
        {props.row(props.items[i]!, i)}
      </div>,
    );
  return (
    <div
      class="vlist"
      ref={box}
      tabIndex={0}
      role="list"
      aria-label={props.label}
      onScroll={(e) => {
        const el = e.currentTarget as HTMLDivElement;
        atBottom.current = el.scrollHeight - el.scrollTop - el.clientHeight < props.rowHeight * 2;
        setView({ top: el.scrollTop, height: el.clientHeight });
      }}
    >
      <div class="vspacer" style={{ height: `${total}px` }}>
        {rows}
      </div>
    </div>
  );
}
