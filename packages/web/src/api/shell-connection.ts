import type { Problem } from './types';

export interface ShellHandlers {
  onOpen(): void;
  /** Terminal bytes from the session. */
  onOutput(bytes: Uint8Array): void;
  /** The shell ended with this exit code. */
  onExit(code: number): void;
  /** The server could not open a terminal (session not running, gone, not yours). */
  onProblem(problem: Problem): void;
  onClose(code: number): void;
}

/**
 * A shell in a session over `/api/v1/sessions/:name/shell`: binary frames carry terminal bytes
 * both ways, JSON text frames carry control (`resize` from here; `exit` or `error` from the server).
 * What is typed before the socket opens waits and is sent in order.
 */
export class ShellConnection {
  private readonly socket: WebSocket;
  private readonly waiting: (Uint8Array | string)[] = [];
  private readonly encoder = new TextEncoder();

  constructor(url: string, handlers: ShellHandlers, WS: typeof WebSocket = globalThis.WebSocket) {
    const ws = new WS(url);
    ws.binaryType = 'arraybuffer';
    ws.onopen = () => {
      for (const frame of this.waiting.splice(0)) ws.send(frame);
      handlers.onOpen();
    };
    ws.onmessage = (e: MessageEvent) => {
      if (typeof e.data !== 'string') {
        handlers.onOutput(new Uint8Array(e.data as ArrayBuffer));
        return;
      }
      try {
        const msg = JSON.parse(e.data) as { type?: string; code?: number; problem?: Problem };
        if (msg.type === 'exit' && typeof msg.code === 'number') handlers.onExit(msg.code);
        else if (msg.type === 'error' && msg.problem) handlers.onProblem(msg.problem);
      } catch {
        // An unknown control frame is not fatal.
      }
    };
    ws.onclose = (e: CloseEvent) => handlers.onClose(e.code);
    this.socket = ws;
  }

  /** Keystrokes and terminal answers (xterm's onData): UTF-8 bytes. */
  input(text: string): void {
    this.send(this.encoder.encode(text));
  }

  /** xterm's onBinary: a string whose char codes are bytes (mouse reports, for one). */
  inputBinary(data: string): void {
    this.send(Uint8Array.from(data, (c) => c.charCodeAt(0) & 0xff));
  }

  resize(cols: number, rows: number): void {
    this.send(JSON.stringify({ type: 'resize', cols, rows }));
  }

  close(): void {
    this.socket.close(1000, 'closed');
  }

  private send(frame: Uint8Array | string): void {
    if (this.socket.readyState === 0) this.waiting.push(frame);
    else if (this.socket.readyState === 1) this.socket.send(frame);
  }
}
