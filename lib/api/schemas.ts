/** The API's shapes, from which both validation and the OpenAPI document are generated. */
import { z } from '@hono/zod-openapi';

const LEVEL = z.enum(['ok', 'warning', 'critical']);
export const HOST_STATES = ['new', 'alive', 'dead', 'left', 'retired'] as const;
export { NOTIFICATION_KINDS } from '../domain/model';
export const SEVERITIES = ['info', 'warning', 'critical'] as const;

const sample = z.object({ percent: z.number() });
const hourly = z.array(z.number().nullable()).min(24).max(24);

export const HostSchema = z.object({
  hostname: z.string(),
  state: z.enum(HOST_STATES),
  stateSince: z.number().openapi({ description: 'epoch ms' }),
  lastBeat: z.number().openapi({ description: 'epoch ms: when SQS accepted the newest beat' }),
  skewMs: z.number().openapi({ description: "the host's clock minus the monitor's, ms" }),
  interval: z.number(),
  labels: z.record(z.string(), z.string()),
  cpu: sample.optional(),
  mem: sample.optional(),
  disk: sample.optional(),
  levels: z.object({ cpu: LEVEL, mem: LEVEL, disk: LEVEL }),
  overdue: z.boolean().openapi({ description: 'alive or new in the table, but past its deadline' }),
  ageMs: z.number(),
  deadline: z.number(),
  silencedBy: z.string().optional().openapi({ description: 'the silence in force over this host' }),
  history: z.object({
    from: z.number().openapi({ description: 'epoch ms: the start of the first of the 24 hours' }),
    cpu: hourly, mem: hourly, disk: hourly,
  }).openapi('HostHistory', {
    description: "the last 24 hours, oldest first: each hour's peak percent (the agent's own running peak; "
      + 'for other senders, the last reading of that hour), null where nothing is known',
  }),
}).openapi('Host');

export const NotificationSchema = z.object({
  id: z.string(),
  hostname: z.string(),
  kind: z.string(),
  severity: z.enum(SEVERITIES),
  at: z.number(),
  message: z.string(),
  details: z.record(z.string(), z.string()),
  suppressed: z.string().optional().openapi({ description: 'why it was recorded but not sent: silence:<id>, flapping, storm:<scope>' }),
  publishedAt: z.number().optional(),
  cursor: z.string(),
}).openapi('Notification');

export const LogRecordSchema = z.object({
  app: z.string(),
  hostname: z.string(),
  timestamp: z.number().openapi({ description: 'epoch seconds with microseconds' }),
  level: z.number(),
  text: z.string(),
  fields: z.record(z.string(), z.string()),
  id: z.string(),
}).openapi('LogRecord');

export const SilenceSchema = z.object({
  id: z.string(),
  target: z.union([z.object({ hostname: z.string() }), z.object({ label: z.string(), value: z.string() }), z.object({ app: z.string() }), z.object({ rule: z.string() })]),
  startsAt: z.number(),
  endsAt: z.number(),
  reason: z.string(),
  createdBy: z.string().optional(),
  inForce: z.boolean(),
}).openapi('Silence');

export const ReportSummarySchema = z.object({ id: z.string(), since: z.number(), until: z.number(), generatedAt: z.number() }).openapi('ReportSummary');

/** `next`: the cursor of the following page, null on the last. */
export function pageOf<T extends z.ZodType>(item: T, name: string) {
  return z.object({ items: z.array(item), next: z.string().nullable().openapi({ description: 'pass as ?next= for the following page; null on the last' }) }).openapi(name);
}

export const limitParam = (max: number, fallback: number) =>
  z.coerce.number().int().min(1).max(max).default(fallback).openapi({ param: { name: 'limit', in: 'query' }, description: `items per page, at most ${max}` });
export const nextParam = z.string().optional().openapi({ param: { name: 'next', in: 'query' }, description: 'the cursor from the previous page' });

/** A time: epoch milliseconds, or an ISO 8601 date-time. */
export const timeParam = (name: string) =>
  z.string().optional().transform((v, ctx) => {
    if (v === undefined || v === '') return undefined;
    const n = /^\d+$/.test(v) ? Number(v) : Date.parse(v);
    if (!Number.isFinite(n)) {
      ctx.addIssue({ code: 'custom', message: `expected epoch milliseconds or an ISO time, got ${JSON.stringify(v)}` });
      return z.NEVER;
    }
    return n;
  }).openapi({ param: { name, in: 'query' }, type: 'string', description: 'epoch ms or ISO 8601' });
