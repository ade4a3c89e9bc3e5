/**
 * A fake WebSocket: the seam between the dashboard and the server's sockets in component tests.
 * The test plays the server: `open()`, `receive(frame)`, `close(code)`; `sent` holds what the
 * dashboard sent.
 */
export class FakeWebSocket {
  static readonly CONNECTING = 0;
  static readonly OPEN = 1;
  static readonly CLOSING = 2;
  static readonly CLOSED = 3;
  /** Every socket made, newest last. */
  static all: FakeWebSocket[] = [];

  readyState = 0;
  binaryType: BinaryType = 'blob';
  sent: (string | Uint8Array)[] = [];
  onopen: ((e: Event) => void) | null = null;
  onmessage: ((e: MessageEvent) => void) | null = null;
  onclose: ((e: CloseEvent) => void) | null = null;
  onerror: ((e: Event) => void) | null = null;

  constructor(readonly url: string) {
    FakeWebSocket.all.push(this);
  }

  static latest(): FakeWebSocket {
    const ws = FakeWebSocket.all[FakeWebSocket.all.length - 1];
    if (!ws) throw new Error('no WebSocket was opened');
    return ws;
  }

  static reset(): void {
    FakeWebSocket.all = [];
  }

  send(data: string | Uint8Array): void {
    if (this.readyState !== 1) throw new Error('send on a socket that is not open');
    this.sent.push(data);
  }

  close(code = 1000): void {
    if (this.readyState === 3) return;
    this.readyState = 3;
    this.onclose?.({ code } as CloseEvent);
  }

  /** Server side: the upgrade succeeded. */
  open(): void {
    this.readyState = 1;
    this.onopen?.(new Event('open'));
  }

  /** Server side: a text frame (objects are sent as JSON) or a binary one. */
  receive(frame: unknown): void {
    const data =
      frame instanceof Uint8Array ? frame.buffer : typeof frame === 'string' ? frame : JSON.stringify(frame);
    this.onmessage?.({ data } as MessageEvent);
  }

  /** The JSON text frames the dashboard sent. */
  sentJson(): unknown[] {
    return this.sent.filter((s): s is string => typeof s === 'string').map((s) => JSON.parse(s));
  }
}

export const asWebSocket = FakeWebSocket as unknown as typeof WebSocket;
