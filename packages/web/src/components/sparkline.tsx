/** A small SVG line of recent values (oldest first), scaled to `max` or to the largest value. */
export function Sparkline({
  values,
  max,
  label,
  width = 240,
  height = 48,
}: {
  values: readonly number[];
  max?: number;
  label: string;
  width?: number;
  height?: number;
}) {
  // One sample draws a flat line; none draws an empty box.
  const vs = values.length === 1 ? [values[0]!, values[0]!] : values;
  const top = Math.max(max ?? 0, ...vs, 1e-9);
  const step = width / Math.max(vs.length - 1, 1);
  const points = vs.map((v, i) => {
    const x = i * step;
    const y = height - (Math.min(Math.max(v, 0), top) / top) * (height - 2) - 1;
    return `${x.toFixed(1)},${y.toFixed(1)}`;
  });
  const line = points.join(' ');
  const area = points.length > 0 ? `0,${height} ${line} ${width},${height}` : '';
  return (
    <svg
      className="sparkline"
      role="img"
      aria-label={label}
      viewBox={`0 0 ${width} ${height}`}
      preserveAspectRatio="none"
      width="100%"
      height={height}
    >
      {points.length > 0 && <polygon className="sparkline-area" points={area} />}
      {points.length > 0 && <polyline className="sparkline-line" points={line} />}
    </svg>
  );
}
