import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { levelOfLine } from '../../agent/levels';
import { createProducer } from '../../producer/producer';
import type { Context } from '../context';
import { levelFloor } from '../options';
import { parseLabels } from './agent';

export interface LogCommandOptions {
  app: string;
  level: string;
  hostname?: string;
  field: string[];
  detectLevel?: boolean;
  json?: boolean;
}

/** `dts log`: every line of standard input becomes a log record; exits when the input ends and all is sent. */
export async function logCommand(ctx: Context, o: LogCommandOptions, input: Readable = process.stdin): Promise<number> {
  const level = levelFloor(o.level);
  const fields = parseLabels(o.field);
  const backend = await ctx.backend(['logsQueueUrl']);
  const errors: string[] = [];
  const producer = createProducer({
    logsQueueUrl: backend.require('logsQueueUrl'),
    ...backend.client,
    app: o.app,
    ...(o.hostname ? { hostname: o.hostname } : {}),
    lingerMs: 500,
    onError: (e) => {
      if (errors.length < 5) ctx.io.err(`dts log: ${e.message}\n`);
      errors.push(e.message);
    },
    warn: (m) => ctx.io.err(`dts log: ${m}\n`),
  });
  const lines = createInterface({ input, crlfDelay: Infinity });
  for await (const line of lines) {
    if (line.trim() === '') continue;
    producer.log({ text: line, level: (o.detectLevel ? levelOfLine(line) : undefined) ?? level, fields });
  }
  const result = await producer.close({ timeoutMs: 30_000 });
  const stats = producer.stats();
  if (o.json) ctx.io.out(JSON.stringify({ ok: result.ok && stats.lost === 0, ...stats }, null, 2) + '\n');
  const unsent = stats.accepted - stats.sent;
  if (unsent > 0 || stats.rejected > 0) {
    ctx.io.err(`dts log: ${unsent} of ${stats.accepted} accepted record(s) not sent (${stats.dropped} dropped, ${stats.rejected} rejected, ${stats.lost} lost)\n`);
    return 1;
  }
  return 0;
}
