// The server side of the shell socket is a FakeWebSocket: the seam.
import { describe, expect, it, vi } from 'vitest';
import { asWebSocket, FakeWebSocket } from '../test/fake-web-socket';
import { ShellConnection, type ShellHandlers } from './shell-connection';

const handlers = () =>
  ({
    onOpen: vi.fn(),
    onOutput: vi.fn(),
    onExit: vi.fn(),
    onProblem: vi.fn(),
    onClose: vi.fn(),
  }) satisfies ShellHandlers;

describe('ShellConnection', () => {
  it('sends keystrokes as binary frames, in order, even those typed before the socket opened', () => {
    const conn = new ShellConnection('ws://x/shell', handlers(), asWebSocket);
    const ws = FakeWebSocket.latest();
    expect(ws.binaryType).toBe('arraybuffer');
    conn.input('ls');
    ws.open();
    conn.input('é\r');
    conn.inputBinary('\x1b[M !!');
    expect(ws.sent.map((f) => Array.from(f as Uint8Array))).toEqual([
      [0x6c, 0x73],
      [0xc3, 0xa9, 0x0d],
      [0x1b, 0x5b, 0x4d, 0x20, 0x21, 0x21],
    ]);
  });

  it('sends a resize as a JSON control frame', () => {
    const conn = new ShellConnection('ws://x/shell', handlers(), asWebSocket);
    FakeWebSocket.latest().open();
    conn.resize(120, 40);
    expect(FakeWebSocket.latest().sentJson()).toEqual([{ type: 'resize', cols: 120, rows: 40 }]);
  });

  it('hands terminal bytes, the exit code and a problem to its handlers', () => {
    const h = handlers();
    new ShellConnection('ws://x/shell', h, asWebSocket);
    const ws = FakeWebSocket.latest();
    ws.open();
    ws.receive(new Uint8Array([0x1b, 0x5b, 0x36, 0x6e]));
    ws.receive({ type: 'exit', code: 3 });
    ws.receive({ type: 'error', problem: { code: 'not_found', detail: 'gone' } });
    ws.receive('{broken');
    ws.close(1000);
    expect(Array.from(h.onOutput.mock.calls[0]![0] as Uint8Array)).toEqual([0x1b, 0x5b, 0x36, 0x6e]);
    expect(h.onExit).toHaveBeenCalledWith(3);
    expect(h.onProblem).toHaveBeenCalledWith({ code: 'not_found', detail: 'gone' });
    expect(h.onClose).toHaveBeenCalledWith(1000);
  });
});
