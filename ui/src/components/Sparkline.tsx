// A tiny line over the last hour, drawn as one SVG polyline of fixed size (no layout shift, cheap
// enough for a hundred rows); gaps where there was no sample.
export function Sparkline(props: { values: (number | null)[] | undefined; label: string; unit: string; width?: number; height?: number }) {
  const w = props.width ?? 96;
  const h = props.height ?? 24;
  const vals = props.values ?? [];
  const nums = vals.filter((v): v is number => v !== null);
  const last = [...vals].reverse().find((v) => v !== null) ?? null;
  const max = Math.max(...nums, 0) || 1;
  const step = vals.length > 1 ? w / (vals.length - 1) : w;
  const segments: string[] = [];
  let current: string[] = [];
  vals.forEach((v, i) => {
    if (v === null) {
      if (current.length) segments.push(current.join(' '));
      current = [];
      return;
    }
    current.push(`${(i * step).toFixed(1)},${(h - 2 - (v / max) * (h - 4)).toFixed(1)}`);
  });
  if (current.length) segments.push(current.join(' '));
  const title = `${props.label}: ${last === null ? 'no data' : `${last < 10 ? last.toFixed(2) : Math.round(last)} ${props.unit} now, ${Math.round(max * 100) / 100} max`}`;
  return (
    <svg class="spark" width={w} height={h} viewBox={`0 0 ${w} ${h}`} role="img" aria-label={title}>
      <title>{title}</title>
      {nums.length === 0 ? <line x1="0" y1={h - 2} x2={w} y2={h - 2} class="spark-empty" /> : segments.map((p) => (p.includes(' ') ? <polyline points={p} /> : <circle cx={p.split(',')[0]} cy={p.split(',')[1]} r="1.8" />))}
    </svg>
  );
}
