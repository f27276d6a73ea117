/**
 * What the local cloud needs from inside fauxqs, which its entry point does not export. The
 * modules are loaded from beside that entry point; fauxqs is pinned to 1.9 in package.json, and
 * test/integration/local-queues.test.ts fails if either of these stops working.
 *
 * - Its stores, built here rather than inside fauxqs so that the local cloud sees every message
 *   enter and leave a queue: fauxqs reports each one to its store's `spy` (the hook behind its
 *   MessageSpy), and the queue journal records them (queue-journal.ts).
 * - Its check of message bodies, which refuses every character outside the Basic Multilingual
 *   Plane (emoji among them): its pattern lacks the `u` flag, so a surrogate pair reads as two
 *   invalid characters. SQS accepts #x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD |
 *   #x10000 to #x10FFFF; the same pattern object, shared by SendMessage and SendMessageBatch,
 *   is given a `test` that says so.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { buildApp } from 'fauxqs';

type Stores = NonNullable<NonNullable<Parameters<typeof buildApp>[0]>['stores']>;

/** What fauxqs tells its spy about an SQS message. */
export interface QueueEvent {
  readonly service: 'sqs';
  readonly queueName: string;
  readonly messageId: string;
  readonly body: string;
  readonly messageAttributes: Record<string, { DataType: string; StringValue?: string; BinaryValue?: string }>;
  /** published: entered the queue; consumed: deleted; dlq: moved from this queue to its DLQ. */
  readonly status: 'published' | 'consumed' | 'dlq';
  readonly timestamp: number;
}

/** fauxqs's entry point (dist/app.js), found as Node finds packages: in node_modules upwards. */
const entry = ((): URL => {
  for (let dir = path.dirname(fileURLToPath(import.meta.url)); ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'node_modules', 'fauxqs', 'dist', 'app.js');
    if (existsSync(candidate)) return pathToFileURL(candidate);
    if (path.dirname(dir) === dir) throw new Error('fauxqs is not installed (npm install)');
  }
})();

async function load<T>(file: string, name: string): Promise<T> {
  const mod = await import(new URL(file, entry).href) as Record<string, unknown>;
  const value = mod[name];
  if (value === undefined) throw new Error(`fauxqs has no ${name} in ${file}: the local cloud needs fauxqs 1.9`);
  return value as T;
}

/** The characters SQS accepts in a message body, by code point. */
// eslint-disable-next-line no-control-regex -- tab, LF and CR are what SQS allows below #x20.
const INVALID_SQS_CHARACTER = /[^\x09\x0A\x0D\x20-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;

/** Makes fauxqs accept every body that SQS accepts (see above). Idempotent. */
export async function acceptEveryValidBody(): Promise<void> {
  const pattern = await load<RegExp>('./sqs/sqsTypes.js', 'INVALID_MESSAGE_BODY_CHAR');
  if (!(pattern instanceof RegExp)) throw new Error('fauxqs INVALID_MESSAGE_BODY_CHAR is not a pattern: the local cloud needs fauxqs 1.9');
  pattern.test = (text: string) => INVALID_SQS_CHARACTER.test(text);
}

export async function fauxqsStores(onEvent: ((e: QueueEvent) => void) | undefined): Promise<Stores> {
  const [SqsStore, SnsStore, S3Store] = await Promise.all([
    load<new () => Stores['sqsStore']>('./sqs/sqsStore.js', 'SqsStore'),
    load<new () => Stores['snsStore']>('./sns/snsStore.js', 'SnsStore'),
    load<new () => Stores['s3Store']>('./s3/s3Store.js', 'S3Store'),
  ]);
  const sqsStore = new SqsStore();
  if (onEvent) {
    // Queues copy the store's spy when they are created.
    (sqsStore as unknown as { spy: unknown }).spy = {
      addMessage: (e: { service: string }) => {
        if (e.service === 'sqs') onEvent(e as QueueEvent);
      },
    };
  }
  return { sqsStore, snsStore: new SnsStore(), s3Store: new S3Store() };
}
