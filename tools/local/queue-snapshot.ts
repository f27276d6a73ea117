/**
 * What keeps the queues across restarts and crashes. fauxqs keeps messages in memory only; the
 * data directory holds:
 *
 * - `queues.json`, the snapshot: every message of every queue at the last clean stop, and the
 *   name of the journal that continues it;
 * - `queues-<n>.journal`, that journal: every message that entered or left a queue since
 *   (queue-journal.ts), written before the edge acknowledges a send.
 *
 * The queues' content is the snapshot plus its journal. At start-up it is sent back into the
 * queues, a new journal is begun (the restored messages are its first entries), and a snapshot
 * naming it replaces the old one: that rename is the commit, so a crash at any point before it
 * restores the old pair again, and after it the new one. At a clean stop, the queues are written
 * to a new snapshot with a new, empty journal. A file that cannot be read is moved aside, named
 * `*.unreadable-<time>`, with a notice; it never blocks a start.
 *
 * A restored message is a new SQS message, so it carries its original identity in one message
 * attribute (RESTORED_ATTRIBUTE): the local pollers give the function the original messageId,
 * SentTimestamp (heartbeats are judged by it) and receive count, and hide the attribute. Any other
 * consumer sees the attribute. A message in flight at the stop or crash comes back visible at
 * once: at-least-once delivery, which the functions handle as they handle SQS redelivery.
 */
import { readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Edge, QueueLog } from './engines/edge';
import type { QueueEvent } from './engines/fauxqs-internals';
import { QueueJournal, readJournal, syncDirectory, type JournalEntry } from './queue-journal';
import type { QueuePlan } from './template/plan';

export const RESTORED_ATTRIBUTE = 'dts-local.restored';
const SNAPSHOT_VERSION = 2;
const SNAPSHOT_FILE = 'queues.json';
const JOURNAL_FILE = /^queues-(\d+)\.journal$/;
/** SQS's limits: a batch of at most 10 entries and 1 MiB; a message of at most the queue's MaximumMessageSize. */
const MAX_BATCH_ENTRIES = 10;
const MAX_BATCH_BYTES = 1_048_576;
const MAX_ATTRIBUTES = 10;

export interface RestoredOrigin {
  readonly messageId: string;
  readonly sentTimestamp: number;
  readonly receiveCount: number;
  readonly firstReceiveTimestamp?: number;
}

/** A message as fauxqs's inspection endpoint shows it, and as the snapshot keeps it. */
interface StoredMessage {
  messageId: string;
  body: string;
  messageAttributes: Record<string, { DataType: string; StringValue?: string; BinaryValue?: string }>;
  sentTimestamp: number;
  approximateReceiveCount: number;
  approximateFirstReceiveTimestamp?: number;
  delayUntil?: number;
  messageGroupId?: string;
  messageDeduplicationId?: string;
}

interface Inspection {
  messages: { ready: StoredMessage[]; delayed: StoredMessage[]; inflight: Array<{ message: StoredMessage }> };
}

interface SnapshotFile {
  readonly version: number;
  readonly takenAt: string;
  /** The journal that continues this snapshot (version 2). */
  readonly journal?: string;
  readonly queues: Record<string, StoredMessage[]>;
}

export interface RestoreReport {
  readonly restored: number;
  readonly notices: string[];
}

/**
 * The queues' durable side: the journal the edge writes to (it is the edge's QueueLog), the
 * restore at start-up and the snapshot at a clean stop.
 */
export class DurableQueues implements QueueLog {
  readonly journal = new QueueJournal();
  private generation = 0;

  constructor(private readonly dir: string) {}

  event(e: QueueEvent): void {
    const q = e.queueName;
    if (e.status === 'published') {
      this.journal.record({ op: 'in', q, m: { id: e.messageId, body: e.body, attributes: e.messageAttributes, at: e.timestamp } });
    } else {
      this.journal.record({ op: 'out', q, id: e.messageId });
    }
  }

  emptied(queueName: string): void {
    this.journal.record({ op: 'purge', q: queueName });
  }

  durable(): Promise<void> {
    return this.journal.durable();
  }

  /**
   * Sends the snapshot and its journal back into the queues, begins a new journal, and commits.
   * Call once the queues exist and before anything consumes them.
   */
  async recover(edge: Edge, queues: readonly QueuePlan[]): Promise<RestoreReport> {
    const notices: string[] = [];
    const snapshotPath = path.join(this.dir, SNAPSHOT_FILE);
    const snapshot = await this.readSnapshot(snapshotPath, notices);
    const journals = await this.journalFiles();
    // A snapshot names its journal; without one (a crash before the first commit, or an
    // unreadable snapshot), the newest journal is the best there is.
    const journalName = snapshot ? snapshot.journal : journals.at(-1)?.name;
    this.generation = Math.max(0, ...journals.map((j) => j.generation));
    const content = new Map<string, Map<string, StoredMessage>>();
    for (const [name, messages] of Object.entries(snapshot?.queues ?? {})) content.set(name, new Map(messages.map((m) => [m.messageId, m])));
    let damagedJournal = false;
    if (journalName) {
      const read = await readJournal(path.join(this.dir, journalName)).catch((e: Error) => {
        notices.push(`queues: ${journalName} could not be read (${e.message}); it is moved aside`);
        damagedJournal = true;
        return undefined;
      });
      if (read) {
        applyJournal(content, read.entries);
        if (read.damaged) {
          damagedJournal = true;
          notices.push(`queues: ${read.unreadable} damaged line(s) in ${journalName} were skipped; the file is moved aside`);
        }
      }
    }

    // The new journal starts before the restore: the restored messages are its first entries.
    const newJournal = `queues-${++this.generation}.journal`;
    await this.journal.open(path.join(this.dir, newJournal));
    const restore = await restoreMessages(edge, queues, content, this.dir, notices);
    await this.journal.flush();
    await writeAtomically(snapshotPath, { version: SNAPSHOT_VERSION, takenAt: new Date().toISOString(), journal: newJournal, queues: {} });
    for (const j of journals) {
      if (j.name === journalName && damagedJournal) await moveAside(path.join(this.dir, j.name));
      else await rm(path.join(this.dir, j.name), { force: true });
    }
    return { restored: restore, notices };
  }

  /** At a clean stop, once nothing moves: writes every queued message to a new snapshot with an empty journal. */
  async compact(edge: Edge, queues: readonly QueuePlan[]): Promise<number> {
    const snapshot: Record<string, StoredMessage[]> = {};
    let count = 0;
    for (const queue of queues) {
      const reply = await edge.fauxqs('GET', `/_fauxqs/queues/${encodeURIComponent(queue.name)}`);
      if (reply.status !== 200) throw new Error(`cannot read queue ${queue.name} for the snapshot: ${reply.status} ${reply.body}`);
      const { messages } = JSON.parse(reply.body) as Inspection;
      const all = [...messages.ready, ...messages.delayed, ...messages.inflight.map((e) => e.message)];
      snapshot[queue.name] = all;
      count += all.length;
    }
    const old = (await this.journalFiles()).map((j) => j.name);
    await this.journal.close();
    const next = `queues-${++this.generation}.journal`;
    await writeFile(path.join(this.dir, next), '');
    await writeAtomically(path.join(this.dir, SNAPSHOT_FILE), { version: SNAPSHOT_VERSION, takenAt: new Date().toISOString(), journal: next, queues: snapshot });
    for (const name of old) await rm(path.join(this.dir, name), { force: true });
    return count;
  }

  /** After a failed start or an unclean stop: closes the journal without a snapshot. */
  async abandon(): Promise<void> {
    await this.journal.close();
  }

  private async readSnapshot(file: string, notices: string[]): Promise<SnapshotFile | undefined> {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      notices.push(`queues: ${file} could not be read (${(e as Error).message}); it is moved aside`);
      await moveAside(file);
      return undefined;
    }
    try {
      const snapshot = JSON.parse(text) as SnapshotFile;
      if (snapshot.version !== 1 && snapshot.version !== SNAPSHOT_VERSION) throw new Error(`unknown snapshot version ${String(snapshot.version)}`);
      if (typeof snapshot.queues !== 'object' || snapshot.queues === null) throw new Error('no queues in it');
      return snapshot;
    } catch (e) {
      const aside = await moveAside(file);
      notices.push(`queues: ${file} could not be read (${(e as Error).message}); moved aside to ${aside}, and the newest journal is restored instead`);
      return undefined;
    }
  }

  private async journalFiles(): Promise<Array<{ name: string; generation: number }>> {
    const names = await readdir(this.dir).catch(() => [] as string[]);
    return names.flatMap((name) => {
      const m = JOURNAL_FILE.exec(name);
      return m ? [{ name, generation: Number(m[1]) }] : [];
    }).sort((a, b) => a.generation - b.generation);
  }
}

/** Applies journal entries, in order, to the messages of each queue. */
function applyJournal(content: Map<string, Map<string, StoredMessage>>, entries: readonly JournalEntry[]): void {
  for (const entry of entries) {
    let queue = content.get(entry.q);
    if (!queue) content.set(entry.q, (queue = new Map()));
    if (entry.op === 'in') {
      queue.set(entry.m.id, { messageId: entry.m.id, body: entry.m.body, messageAttributes: entry.m.attributes, sentTimestamp: entry.m.at, approximateReceiveCount: 0 });
    } else if (entry.op === 'out') {
      queue.delete(entry.id);
    } else {
      queue.clear();
    }
  }
}

/**
 * Sends messages back into their queues within SQS's limits: batches of at most 10 entries and
 * 1 MiB. What cannot be restored (its queue is gone, or a send is refused) is written to a
 * `queues.unrestored-<time>.json` file with a notice, and the start goes on.
 */
async function restoreMessages(edge: Edge, queues: readonly QueuePlan[], content: Map<string, Map<string, StoredMessage>>, dir: string, notices: string[]): Promise<number> {
  let restored = 0;
  const unrestored: Record<string, Array<StoredMessage & { reason: string }>> = {};
  const keep = (queue: string, m: StoredMessage, reason: string): void => void (unrestored[queue] ??= []).push({ ...m, reason });
  for (const [name, byId] of content) {
    const messages = [...byId.values()];
    if (messages.length === 0) continue;
    const queue = queues.find((q) => q.name === name);
    if (!queue) {
      for (const m of messages) keep(name, m, 'the queue is no longer in the template');
      continue;
    }
    const maxSize = Number(queue.attributes.MaximumMessageSize ?? MAX_BATCH_BYTES);
    let batch: Array<{ message: StoredMessage; entry: Record<string, unknown> }> = [];
    let batchBytes = 0;
    const send = async (): Promise<void> => {
      if (batch.length === 0) return;
      const sending = batch;
      batch = [];
      batchBytes = 0;
      const reply = await edge.fauxqs('POST', '/', JSON.stringify({ QueueUrl: queue.url, Entries: sending.map((b, i) => ({ ...b.entry, Id: String(i) })) }), {
        'content-type': 'application/x-amz-json-1.0',
        'x-amz-target': 'AmazonSQS.SendMessageBatch',
      });
      const body = JSON.parse(reply.body) as { Successful?: Array<{ Id: string }>; Failed?: Array<{ Id: string; Message?: string; Code?: string }>; message?: string };
      if (reply.status !== 200) {
        for (const b of sending) keep(name, b.message, `SendMessageBatch refused: ${body.message ?? reply.body}`);
        return;
      }
      restored += body.Successful?.length ?? 0;
      for (const f of body.Failed ?? []) {
        const failed = sending[Number(f.Id)];
        if (failed) keep(name, failed.message, `${f.Code ?? 'refused'}: ${f.Message ?? ''}`);
      }
    };
    for (const m of messages) {
      let entry = entryFor(m, true);
      if (sizeOf(entry) > maxSize) entry = entryFor(m, false); // Without the restore attribute, it fits as it did.
      const size = sizeOf(entry);
      if (size > maxSize) {
        keep(name, m, `it is ${size} bytes, over the queue's MaximumMessageSize of ${maxSize}`);
        continue;
      }
      if (!(RESTORED_ATTRIBUTE in ((entry.MessageAttributes as object | undefined) ?? {}))) {
        notices.push(`queues: message ${m.messageId} on ${name} is restored with a new id and SentTimestamp (no room for ${RESTORED_ATTRIBUTE})`);
      }
      if (batch.length === MAX_BATCH_ENTRIES || batchBytes + size > MAX_BATCH_BYTES) await send();
      batch.push({ message: m, entry });
      batchBytes += size;
    }
    await send();
  }
  const count = Object.values(unrestored).reduce((n, list) => n + list.length, 0);
  if (count > 0) {
    const file = path.join(dir, `queues.unrestored-${stamp()}.json`);
    await writeFile(file, JSON.stringify({ queues: unrestored }, null, 1));
    const reasons = [...new Set(Object.values(unrestored).flat().map((m) => m.reason))].slice(0, 3).join('; ');
    notices.push(`queues: ${count} message(s) could not be restored (${reasons}); they are kept in ${file}`);
  }
  return restored;
}

function entryFor(m: StoredMessage, withOrigin: boolean): Record<string, unknown> {
  const { [RESTORED_ATTRIBUTE]: restored, ...attributes } = m.messageAttributes;
  const previous = restored?.StringValue;
  const earlier = previous ? (JSON.parse(previous) as RestoredOrigin) : undefined;
  const origin: RestoredOrigin = {
    messageId: earlier?.messageId ?? m.messageId,
    sentTimestamp: earlier?.sentTimestamp ?? m.sentTimestamp,
    receiveCount: (earlier?.receiveCount ?? 0) + m.approximateReceiveCount,
    ...(earlier?.firstReceiveTimestamp ?? m.approximateFirstReceiveTimestamp
      ? { firstReceiveTimestamp: earlier?.firstReceiveTimestamp ?? m.approximateFirstReceiveTimestamp } : {}),
  };
  const all: StoredMessage['messageAttributes'] = { ...attributes };
  if (withOrigin && Object.keys(attributes).length < MAX_ATTRIBUTES) all[RESTORED_ATTRIBUTE] = { DataType: 'String', StringValue: JSON.stringify(origin) };
  const delay = m.delayUntil ? Math.min(900, Math.max(0, Math.ceil((m.delayUntil - Date.now()) / 1000))) : 0;
  return {
    MessageBody: m.body,
    ...(Object.keys(all).length > 0 ? { MessageAttributes: all } : {}),
    ...(delay > 0 ? { DelaySeconds: delay } : {}),
    ...(m.messageGroupId ? { MessageGroupId: m.messageGroupId } : {}),
    ...(m.messageDeduplicationId ? { MessageDeduplicationId: m.messageDeduplicationId } : {}),
  };
}

/** SQS's size of a message: the body, and each attribute's name, type and value, in bytes. */
function sizeOf(entry: Record<string, unknown>): number {
  let size = Buffer.byteLength(entry.MessageBody as string, 'utf8');
  for (const [name, a] of Object.entries((entry.MessageAttributes ?? {}) as StoredMessage['messageAttributes'])) {
    size += Buffer.byteLength(name) + Buffer.byteLength(a.DataType) + Buffer.byteLength(a.StringValue ?? '') + Buffer.byteLength(a.BinaryValue ?? '');
  }
  return size;
}

async function writeAtomically(file: string, content: unknown): Promise<void> {
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, JSON.stringify(content), { flush: true });
  await rename(tmp, file);
  await syncDirectory(path.dirname(file));
}

async function moveAside(file: string): Promise<string> {
  const aside = `${file}.unreadable-${stamp()}`;
  await rename(file, aside).catch(() => undefined);
  return aside;
}

function stamp(): string {
  return new Date().toISOString().replace(/[:.]/g, '-');
}
