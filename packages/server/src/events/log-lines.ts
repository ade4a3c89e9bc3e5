import { StringDecoder } from 'node:string_decoder';

/** Longer lines are cut into pieces of this many characters, so one frame stays small. */
export const MAX_LINE_CHARS = 16 * 1024;

/** Turns a byte stream into complete UTF-8 lines (a character split across chunks stays whole). */
export class LineSplitter {
  private readonly decoder = new StringDecoder('utf8');
  private partial = '';

  constructor(private readonly maxChars = MAX_LINE_CHARS) {}

  /** The lines `chunk` completes; an unfinished last line waits for the next chunk or `end()`. */
  push(chunk: Buffer): string[] {
    const parts = (this.partial + this.decoder.write(chunk)).split('\n');
    this.partial = parts.pop() ?? '';
    const lines: string[] = [];
    for (const p of parts) this.cut(p, lines);
    while (this.partial.length > this.maxChars) {
      lines.push(this.partial.slice(0, this.maxChars));
      this.partial = this.partial.slice(this.maxChars);
    }
    return lines;
  }

  /**
   * Whatever is left, once the stream has ended. (The engine's log drivers hold a line until its
   * newline, or pass it on in 16 KiB pieces, so nothing waits here while a stream is open.)
   */
  end(): string[] {
    const rest = this.partial + this.decoder.end();
    this.partial = '';
    const lines: string[] = [];
    if (rest) this.cut(rest, lines);
    return lines;
  }

  private cut(line: string, into: string[]): void {
    if (line.length <= this.maxChars) {
      into.push(line);
      return;
    }
    for (let at = 0; at < line.length; at += this.maxChars) into.push(line.slice(at, at + this.maxChars));
  }
}
