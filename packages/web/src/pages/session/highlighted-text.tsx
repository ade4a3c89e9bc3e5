import { Fragment } from 'react';

/** `text` with each case-insensitive match of `needle` marked. */
export function HighlightedText({ text, needle }: { text: string; needle: string }) {
  if (!needle) return <>{text}</>;
  const lower = text.toLowerCase();
  const want = needle.toLowerCase();
  const parts: { text: string; hit: boolean; at: number }[] = [];
  let at = 0;
  for (let i = lower.indexOf(want); i >= 0; i = lower.indexOf(want, at)) {
    if (i > at) parts.push({ text: text.slice(at, i), hit: false, at });
    parts.push({ text: text.slice(i, i + want.length), hit: true, at: i });
    at = i + want.length;
  }
  if (at < text.length) parts.push({ text: text.slice(at), hit: false, at });
  return (
    <>
      {parts.map((p) =>
        p.hit ? <mark key={p.at}>{p.text}</mark> : <Fragment key={p.at}>{p.text}</Fragment>,
      )}
    </>
  );
}
