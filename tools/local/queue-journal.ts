/**
 * The queues' write-ahead journal: fauxqs keeps messages in memory only, so every message that
 * enters a queue (a SendMessage, a SendMessageBatch, an SNS delivery, a move to a DLQ) and every
 * message that leaves one (a delete, a move to a DLQ, a purge) is appended here, one JSON line
 * each. The edge answers a call that put a message in a queue only once its line is on disk
 * (fsync'd): that is what makes an acknowledged send survive `kill -9`. Concurrent calls share
 * one write and one fsync (group commit). Deletes are written within FLUSH_DELAY_MS but nobody
 * waits for them: a delete lost in a crash is a redelivery, which SQS allows.
 *
 * At start-up, the snapshot of the last clean stop plus its journal is the queues' content (see
 * queue-snapshot.ts); at a clean stop a new snapshot replaces both.
 */
import { open, readFile, type FileHandle } from 'node:fs/promises';
import path from 'node:path';

/** A message as the journal keeps it. */
export interface JournalMessage {
  readonly id: string;
  readonly body: string;
  readonly attributes: Record<string, { DataType: string; StringValue?: string; BinaryValue?: string }>;
  /** Epoch ms at which it entered the queue. */
  readonly at: number;
}

export type JournalEntry =
  | { readonly op: 'in'; readonly q: string; readonly m: JournalMessage }
  | { readonly op: 'out'; readonly q: string; readonly id: string }
  | { readonly op: 'purge'; readonly q: string };

const FLUSH_DELAY_MS = 20;

export class QueueJournal {
  private file: FileHandle | undefined;
  private buffer: string[] = [];
  /** Sequence number of the last entry appended, of the last one on disk, and of the last `in`. */
  private appended = 0;
  private synced = 0;
  private lastIn = 0;
  private chain: Promise<void> = Promise.resolve();
  private next: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private failure: Error | undefined;
  /** Entries written (tests and the bench read it). */
  entries = 0;

  /** Starts writing to `file` (appending); entries recorded before are written first. */
  async open(file: string): Promise<void> {
    this.file = await open(file, 'a');
    await syncDirectory(path.dirname(file));
    if (this.buffer.length > 0) await this.flush();
  }

  record(entry: JournalEntry): void {
    this.buffer.push(`${JSON.stringify(entry)}\n`);
    this.appended++;
    if (entry.op === 'in') this.lastIn = this.appended;
    if (this.file && !this.timer) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.flush().catch(() => undefined); // A failed write is reported to the next durable().
      }, FLUSH_DELAY_MS);
    }
  }

  /** Resolves once every message recorded so far as entering a queue is on disk. */
  durable(): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    if (!this.file || this.synced >= this.lastIn) return Promise.resolve();
    return this.flush();
  }

  /** Writes and fsyncs what was recorded; callers that come while a write runs share the next. */
  flush(): Promise<void> {
    if (this.next) return this.next;
    const run = this.chain.then(async () => {
      this.next = undefined;
      const file = this.file;
      if (!file || this.buffer.length === 0) return;
      const upTo = this.appended;
      const data = this.buffer.join('');
      this.buffer = [];
      try {
        await file.write(data);
        await file.datasync();
      } catch (e) {
        this.failure = new Error(`the queue journal could not be written: ${(e as Error).message}`);
        throw this.failure;
      }
      this.synced = upTo;
      this.entries += data.split('\n').length - 1;
    });
    this.next = run;
    this.chain = run.catch(() => undefined);
    return run;
  }

  /** Flushes what is left and closes the file. */
  async close(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.flush().catch(() => undefined);
    await this.file?.close();
    this.file = undefined;
  }
}

export interface ReadJournal {
  readonly entries: JournalEntry[];
  /** Lines that could not be read: a torn last line after a crash, or damage. */
  readonly unreadable: number;
  /** Whether an unreadable line came before the last one (damage, not a torn write). */
  readonly damaged: boolean;
}

export async function readJournal(file: string): Promise<ReadJournal | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
  const lines = text.split('\n');
  const entries: JournalEntry[] = [];
  let unreadable = 0;
  let damaged = false;
  lines.forEach((line, i) => {
    if (line.length === 0) return;
    try {
      const entry = JSON.parse(line) as JournalEntry;
      if (typeof entry.q !== 'string' || !['in', 'out', 'purge'].includes(entry.op)) throw new Error('not an entry');
      entries.push(entry);
    } catch {
      unreadable++;
      if (i < lines.length - 1 && lines.slice(i + 1).some((l) => l.length > 0)) damaged = true;
    }
  });
  return { entries, unreadable, damaged };
}

/** Makes a file's creation or renaming in `dir` durable. */
export async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
