/**
 * fauxqs keeps messages in memory only. So that no message is lost across a restart, the local
 * cloud writes every message of every provisioned queue (ready, delayed and in flight) to the
 * data directory when it shuts down, after the pollers have stopped and the edge has drained,
 * and sends them back into their queues when it starts.
 *
 * A restored message is a new SQS message, so it carries its original identity in one message
 * attribute (RESTORED_ATTRIBUTE): the local pollers give the function the original messageId,
 * SentTimestamp (heartbeats are judged by it) and receive count, and hide the attribute. Any other
 * consumer sees the attribute. A message in flight at shutdown comes back visible at once.
 *
 * The snapshot stays in place after a restore and is replaced at the next clean shutdown: after a
 * crash (kill -9) the last snapshot is restored again. That is at-least-once delivery, which the
 * functions handle as they handle SQS redelivery. Messages sent during a session that crashed are
 * lost: the snapshot is only written on a clean shutdown.
 */
import { readFile, rename, writeFile } from 'node:fs/promises';
import type { Edge } from './engines/edge';
import type { QueuePlan } from './template/plan';

export const RESTORED_ATTRIBUTE = 'dts-local.restored';
const SNAPSHOT_VERSION = 1;

export interface RestoredOrigin {
  readonly messageId: string;
  readonly sentTimestamp: number;
  readonly receiveCount: number;
  readonly firstReceiveTimestamp?: number;
}

/** A message as fauxqs's inspection endpoint shows it. */
interface InspectedMessage {
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
  messages: { ready: InspectedMessage[]; delayed: InspectedMessage[]; inflight: Array<{ message: InspectedMessage }> };
}

interface SnapshotFile {
  readonly version: number;
  readonly takenAt: string;
  readonly queues: Record<string, InspectedMessage[]>;
}

export async function takeSnapshot(edge: Edge, queues: readonly QueuePlan[], file: string): Promise<number> {
  const snapshot: SnapshotFile = { version: SNAPSHOT_VERSION, takenAt: new Date().toISOString(), queues: {} };
  let count = 0;
  for (const queue of queues) {
    const reply = await edge.fauxqs('GET', `/_fauxqs/queues/${encodeURIComponent(queue.name)}`);
    if (reply.status !== 200) throw new Error(`cannot read queue ${queue.name} for the snapshot: ${reply.status} ${reply.body}`);
    const { messages } = JSON.parse(reply.body) as Inspection;
    const all = [...messages.ready, ...messages.delayed, ...messages.inflight.map((e) => e.message)];
    snapshot.queues[queue.name] = all;
    count += all.length;
  }
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, JSON.stringify(snapshot));
  await rename(tmp, file);
  return count;
}

export interface RestoreReport {
  readonly restored: number;
  readonly notices: string[];
}

export async function restoreSnapshot(edge: Edge, queues: readonly QueuePlan[], file: string): Promise<RestoreReport> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    return { restored: 0, notices: [] };
  }
  const snapshot = JSON.parse(text) as SnapshotFile;
  if (snapshot.version !== SNAPSHOT_VERSION) throw new Error(`${file}: unknown snapshot version ${snapshot.version}`);
  const notices: string[] = [];
  let restored = 0;
  for (const [name, messages] of Object.entries(snapshot.queues)) {
    const queue = queues.find((q) => q.name === name);
    if (!queue) {
      if (messages.length > 0) notices.push(`snapshot: queue ${name} is no longer in the template; its ${messages.length} message(s) stay in ${file} until the next clean shutdown`);
      continue;
    }
    for (let i = 0; i < messages.length; i += 10) {
      const entries = messages.slice(i, i + 10).map((m, j) => entryFor(m, j, notices, name));
      const reply = await edge.fauxqs('POST', '/', JSON.stringify({ QueueUrl: queue.url, Entries: entries }), {
        'content-type': 'application/x-amz-json-1.0',
        'x-amz-target': 'AmazonSQS.SendMessageBatch',
      });
      const body = JSON.parse(reply.body) as { Successful?: unknown[]; Failed?: Array<{ Message?: string }> };
      if (reply.status !== 200 || (body.Failed?.length ?? 0) > 0) {
        throw new Error(`restoring ${name} from ${file} failed: ${reply.body}`);
      }
      restored += body.Successful?.length ?? 0;
    }
  }
  return { restored, notices };
}

function entryFor(m: InspectedMessage, index: number, notices: string[], queue: string): Record<string, unknown> {
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
  if (Object.keys(attributes).length < 10) {
    attributes[RESTORED_ATTRIBUTE] = { DataType: 'String', StringValue: JSON.stringify(origin) };
  } else {
    notices.push(`snapshot: message ${m.messageId} on ${queue} already has 10 attributes; restored with a new id and SentTimestamp`);
  }
  const delay = m.delayUntil ? Math.min(900, Math.max(0, Math.ceil((m.delayUntil - Date.now()) / 1000))) : 0;
  return {
    Id: String(index),
    MessageBody: m.body,
    ...(Object.keys(attributes).length > 0 ? { MessageAttributes: attributes } : {}),
    ...(delay > 0 ? { DelaySeconds: delay } : {}),
    ...(m.messageGroupId ? { MessageGroupId: m.messageGroupId } : {}),
    ...(m.messageDeduplicationId ? { MessageDeduplicationId: m.messageDeduplicationId } : {}),
  };
}
