import type { WebSocket } from '@fastify/websocket';

export interface OutboxLimits {
  /** Frames handed to the socket whose write has not completed yet. */
  maxQueuedFrames: number;
  /** Bytes waiting in the socket (ws's `bufferedAmount`). */
  maxBufferedBytes: number;
  /** How long a client may keep losing frames before it is closed with 1008. */
  maxBehindMs: number;
}

export const DEFAULT_OUTBOX_LIMITS: OutboxLimits = {
  maxQueuedFrames: 1000,
  maxBufferedBytes: 1024 * 1024,
  maxBehindMs: 30_000,
};

/** Close code for a client that would not read: a policy it broke, not a server fault. */
export const CLOSE_TOO_SLOW = 1008;

/**
 * One client's way out: numbers frames, and keeps what a slow reader costs the server bounded.
 *
 * The socket's own buffer is the queue. Past either limit, frames are dropped (and counted) until
 * the client has read its way back under half of both; it then gets one `notice` saying how many
 * it missed. A client behind for `maxBehindMs` is closed. Nothing here ever waits on the client,
 * so a stalled reader costs the publisher one comparison per event.
 */
export class Outbox {
  private seq = 0;
  private inFlight = 0;
  private dropped = 0;
  private behindTimer: NodeJS.Timeout | null = null;
  private closed = false;

  constructor(
    private readonly socket: WebSocket,
    private readonly limits: OutboxLimits,
    private readonly onTooSlow: (dropped: number) => void = () => {},
  ) {}

  /** Frames dropped since the client last caught up. */
  get behind(): number {
    return this.dropped;
  }

  /**
   * Sends `{"type":type,"seq":n,...body}`; `body` is the rest of the frame as a JSON object text,
   * serialized once by the caller however many clients get it. Returns false when dropped.
   */
  send(type: string, body = '{}'): boolean {
    if (this.closed || this.socket.readyState !== this.socket.OPEN) return false;
    if (this.dropped > 0 || this.overLimit(1)) {
      this.drop();
      return false;
    }
    this.write(type, body);
    return true;
  }

  /** Stops timers; the socket is the caller's to close. */
  dispose(): void {
    this.closed = true;
    if (this.behindTimer) clearTimeout(this.behindTimer);
    this.behindTimer = null;
  }

  private overLimit(fraction: number): boolean {
    return (
      this.inFlight >= this.limits.maxQueuedFrames * fraction ||
      this.socket.bufferedAmount >= this.limits.maxBufferedBytes * fraction
    );
  }

  private write(type: string, body: string): void {
    this.seq++;
    const head = `{"type":${JSON.stringify(type)},"seq":${this.seq}`;
    const frame = body === '{}' ? `${head}}` : `${head},${body.slice(1)}`;
    this.inFlight++;
    this.socket.send(frame, () => {
      this.inFlight--;
      if (this.dropped > 0) this.tryCatchUp();
    });
  }

  private drop(): void {
    this.dropped++;
    if (this.dropped === 1) {
      this.behindTimer = setTimeout(() => this.giveUp(), this.limits.maxBehindMs);
      this.behindTimer.unref();
    }
  }

  private tryCatchUp(): void {
    if (this.closed || this.overLimit(0.5)) return;
    const dropped = this.dropped;
    this.dropped = 0;
    if (this.behindTimer) clearTimeout(this.behindTimer);
    this.behindTimer = null;
    this.write(
      'notice',
      JSON.stringify({
        code: 'dropped',
        message: `${dropped} event frame(s) were dropped because this client read too slowly; refetch state if it matters`,
        dropped,
      }),
    );
  }

  private giveUp(): void {
    this.behindTimer = null;
    if (this.closed) return;
    // The client may have caught up without a write completing since (all callbacks already ran).
    if (!this.overLimit(0.5)) {
      this.tryCatchUp();
      return;
    }
    const dropped = this.dropped;
    this.closed = true;
    this.onTooSlow(dropped);
    this.socket.close(CLOSE_TOO_SLOW, 'too slow: fell behind the event stream');
    // The close frame waits behind everything the client never read: do not wait for it.
    setTimeout(() => this.socket.terminate(), 1000).unref();
  }
}
