/**
 * Follow a file the way `tail -F` does: from its end, line by line, across rotation. A new inode
 * at the path (logrotate's rename + create) means: read the old file to its end, then the new
 * one from its start. A file shorter than what was read (copytruncate) is read again from 0.
 * Polling, not fs.watch: it behaves the same on every filesystem, including network mounts.
 */
import { open, stat, type FileHandle } from 'node:fs/promises';

export interface TailOptions {
  /** Called once per complete line, without its line ending. */
  readonly onLine: (line: string) => void;
  readonly onError?: (error: Error) => void;
  /** Default 250 ms. */
  readonly pollMs?: number;
  /** Read what the file already holds. Default false: only what is written from now on. */
  readonly fromStart?: boolean;
  /** A line longer than this is cut into pieces of this size. Default 64 KiB. */
  readonly maxLineBytes?: number;
}

export class FileTail {
  private fh: FileHandle | undefined;
  private ino: number | undefined;
  private position = 0;
  private partial: Buffer = Buffer.alloc(0);
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;
  private reportedMissing = false;
  private readonly chunk = Buffer.alloc(64 * 1024);

  constructor(
    readonly path: string,
    private readonly options: TailOptions,
  ) {}

  /** Open the file (it may not exist yet) and start following it. */
  async start(): Promise<void> {
    await this.poll(this.options.fromStart === true);
    this.schedule();
  }

  /** Read what is left, emit a last unterminated line, and close. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
    await this.drain();
    this.flushPartial();
    await this.fh?.close();
    this.fh = undefined;
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.poll(true).finally(() => this.schedule());
    }, this.options.pollMs ?? 250);
  }

  /** One look at the path. `fromStart` says where to begin in a file opened now. */
  private async poll(fromStart: boolean): Promise<void> {
    try {
      const current = await stat(this.path).catch((e: NodeJS.ErrnoException) => {
        if (e.code === 'ENOENT') return undefined;
        throw e;
      });
      if (this.fh) {
        await this.drain();
        if (current && current.ino !== this.ino) {
          // Rotated: the old file is read to its end above; what follows is in the new one.
          this.flushPartial();
          await this.fh.close();
          this.fh = undefined;
        }
      }
      if (!this.fh && current?.isFile()) {
        this.fh = await open(this.path, 'r');
        const opened = await this.fh.stat();
        this.ino = opened.ino;
        this.position = fromStart ? 0 : opened.size;
        this.reportedMissing = false;
        await this.drain();
      } else if (!this.fh && !current && !this.reportedMissing) {
        this.reportedMissing = true;
        this.options.onError?.(new Error(`${this.path} does not exist (yet); waiting for it`));
      }
    } catch (e) {
      this.options.onError?.(e as Error);
    }
  }

  /** Read from the open file to its current end. */
  private async drain(): Promise<void> {
    const fh = this.fh;
    if (!fh) return;
    const { size } = await fh.stat();
    if (size < this.position) {
      // Truncated in place: start again from its beginning.
      this.position = 0;
      this.partial = Buffer.alloc(0);
    }
    for (;;) {
      const { bytesRead } = await fh.read(this.chunk, 0, this.chunk.length, this.position);
      if (bytesRead === 0) return;
      this.position += bytesRead;
      this.split(this.chunk.subarray(0, bytesRead));
    }
  }

  private split(data: Buffer): void {
    const max = this.options.maxLineBytes ?? 64 * 1024;
    let buf = this.partial.length > 0 ? Buffer.concat([this.partial, data]) : Buffer.from(data);
    for (let nl = buf.indexOf(0x0a); nl >= 0; nl = buf.indexOf(0x0a)) {
      this.emit(buf.subarray(0, nl));
      buf = buf.subarray(nl + 1);
    }
    while (buf.length > max) {
      this.emit(buf.subarray(0, max));
      buf = buf.subarray(max);
    }
    this.partial = Buffer.from(buf);
  }

  private flushPartial(): void {
    if (this.partial.length > 0) this.emit(this.partial);
    this.partial = Buffer.alloc(0);
  }

  private emit(line: Buffer): void {
    const text = line.toString('utf8').replace(/\r$/, '');
    try {
      this.options.onLine(text);
    } catch (e) {
      this.options.onError?.(e as Error);
    }
  }
}
