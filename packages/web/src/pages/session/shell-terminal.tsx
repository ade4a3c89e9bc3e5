import { FitAddon } from '@xterm/addon-fit';
import { Terminal } from '@xterm/xterm';
import '@xterm/xterm/css/xterm.css';
import { useEffect, useRef } from 'react';
import { attachPath, shellPath, webSocketUrl } from '../../api/client';
import { ShellConnection, type ShellHandlers } from '../../api/shell-connection';

export type ShellEvents = Omit<ShellHandlers, 'onOutput'>;

/** A manual shell (a new process each time) or the agent's own terminal (attached, never ended). */
export type TerminalTarget = 'shell' | 'agent';

/**
 * xterm.js joined to a session's shell. It fits its box and tells the server each new size; it
 * also answers the terminal's own queries (busybox sh asks where the cursor is) through onData.
 * Loaded on demand: xterm is the largest part of the dashboard.
 */
export default function ShellTerminal({
  name,
  target = 'shell',
  events,
}: {
  name: string;
  target?: TerminalTarget;
  events: ShellEvents;
}) {
  const host = useRef<HTMLDivElement>(null);
  const latest = useRef(events);
  latest.current = events;

  useEffect(() => {
    const el = host.current;
    if (!el) return;
    const term = new Terminal({
      cursorBlink: true,
      fontSize: 13,
      fontFamily: 'ui-monospace, SFMono-Regular, Menlo, Consolas, "Liberation Mono", monospace',
      scrollback: 5000,
      theme: {
        background: '#0d1117',
        foreground: '#e6edf3',
        cursor: '#e6edf3',
        selectionBackground: '#264f78',
      },
    });
    const fit = new FitAddon();
    term.loadAddon(fit);
    term.open(el);
    refit(fit);
    const path = (target === 'agent' ? attachPath : shellPath)(name, { cols: term.cols, rows: term.rows });
    const conn = new ShellConnection(webSocketUrl(path), {
      onOpen: () => {
        latest.current.onOpen();
        term.focus();
      },
      onOutput: (bytes) => term.write(bytes),
      onExit: (code) => latest.current.onExit(code),
      onProblem: (p) => latest.current.onProblem(p),
      onClose: (code) => latest.current.onClose(code),
    });
    const subscriptions = [
      term.onData((d) => conn.input(d)),
      term.onBinary((d) => conn.inputBinary(d)),
      term.onResize(({ cols, rows }) => conn.resize(cols, rows)),
    ];
    const observer = new ResizeObserver(() => refit(fit));
    observer.observe(el);
    return () => {
      observer.disconnect();
      for (const s of subscriptions) s.dispose();
      conn.close();
      term.dispose();
    };
  }, [name, target]);

  return <div ref={host} className="terminal-host" />;
}

/** A hidden box has no size to fit to: keep the last one then. */
function refit(fit: FitAddon): void {
  try {
    if (fit.proposeDimensions()) fit.fit();
  } catch {
    // Not laid out yet.
  }
}
