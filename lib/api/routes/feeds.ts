/** The notification feed, the logs and the reports: read-only, paged lists. */
import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import type { LogLevel, NotificationKind } from '../../domain/model';
import { FLEET_ERROR_FLOOR } from '../../adapters/dynamodb/logs';
import { TARGET_LIMITS } from '../../domain/notification/silences';
import type { ApiEnv } from '../auth';
import { requireRole } from '../auth';
import { decodeCursor, nextOf } from '../../adapters/dynamodb/cursor';
import type { ApiDeps } from '../deps';
import { apiError, errorResponses } from '../errors';
import { LogRecordSchema, NOTIFICATION_KINDS, NotificationSchema, ReportSummarySchema, SEVERITIES, limitParam, nextParam, pageOf, timeParam } from '../schemas';

const DAY = 86_400_000;
/** The widest time range one request may cover: what bounds a filtered Query. */
const MAX_RANGE_DAYS = 31;

const notifications = createRoute({
  method: 'get', path: '/api/v1/notifications', 'x-dts-role': 'read', middleware: [requireRole('read')] as const,
  summary: 'Notifications newest first, for one host or the whole fleet, filtered by kind, severity and suppression',
  request: {
    query: z.object({
      host: z.string().max(TARGET_LIMITS.hostnameBytes).optional(),
      kind: z.enum(NOTIFICATION_KINDS).optional(),
      severity: z.enum(SEVERITIES).optional(),
      suppressed: z.enum(['true', 'false']).optional().openapi({ description: 'true: only those held back (silence, storm, flapping); false: only those sent' }),
      since: timeParam('since'),
      until: timeParam('until'),
      limit: limitParam(500, 100),
      next: nextParam,
    }),
  },
  responses: { 200: { description: 'A page of notifications', content: { 'application/json': { schema: pageOf(NotificationSchema, 'NotificationPage') } } }, ...errorResponses(400, 401, 403) },
});

const LEVELS: Record<string, LogLevel> = { debug: 10, info: 20, warning: 30, error: 40, critical: 50 };

const logs = createRoute({
  method: 'get', path: '/api/v1/logs', 'x-dts-role': 'read', middleware: [requireRole('read')] as const,
  summary: 'Log records newest first: of an app, of a host, or (level error or above) of the whole fleet',
  request: {
    query: z.object({
      app: z.string().max(128).optional(),
      host: z.string().max(TARGET_LIMITS.hostnameBytes).optional(),
      level: z.enum(['debug', 'info', 'warning', 'error', 'critical']).optional().openapi({ description: 'the lowest level; default error without app or host, else debug' }),
      grep: z.string().min(1).max(200).optional().openapi({ description: 'only records whose text contains this (case-sensitive)' }),
      since: timeParam('since'),
      until: timeParam('until'),
      limit: limitParam(500, 100),
      next: nextParam,
    }),
  },
  responses: { 200: { description: 'A page of records', content: { 'application/json': { schema: pageOf(LogRecordSchema, 'LogPage') } } }, ...errorResponses(400, 401, 403) },
});

const reports = createRoute({
  method: 'get', path: '/api/v1/reports', 'x-dts-role': 'read', middleware: [requireRole('read')] as const,
  summary: 'Stored fleet reports, newest first, without their bodies',
  request: { query: z.object({ limit: limitParam(100, 20), next: nextParam }) },
  responses: { 200: { description: 'A page of reports', content: { 'application/json': { schema: pageOf(ReportSummarySchema, 'ReportPage') } } }, ...errorResponses(400, 401, 403) },
});

const latestReport = createRoute({
  method: 'get', path: '/api/v1/reports/latest', 'x-dts-role': 'read', middleware: [requireRole('read')] as const,
  summary: 'The latest fleet report: its figures, and its Markdown and HTML renderings',
  responses: {
    200: {
      description: 'The report',
      content: { 'application/json': { schema: z.object({ report: z.record(z.string(), z.unknown()), markdown: z.string().optional(), html: z.string().optional() }).openapi('Report') } },
    },
    ...errorResponses(401, 403, 404),
  },
});

/** since/until with their defaults, or a reason they are refused. */
function rangeOf(q: { since?: number | undefined; until?: number | undefined }, now: number, defaultMs: number): { since: number; until: number } | string {
  const until = q.until ?? now + 60_000;
  const since = q.since ?? until - defaultMs;
  if (until <= since) return 'until must be after since';
  if (until - since > MAX_RANGE_DAYS * DAY) return `a request covers at most ${MAX_RANGE_DAYS} days; page through longer ranges`;
  return { since, until };
}

export function registerFeeds(app: OpenAPIHono<ApiEnv>, deps: ApiDeps): void {
  app.openapi(notifications, async (c) => {
    const q = c.req.valid('query');
    const range = rangeOf(q, deps.now(), DAY);
    if (typeof range === 'string') return apiError(c, 400, 'bad_request', range) as never;
    const before = decodeCursor(q.next);
    const page = await deps.notifications.page({
      ...range, limit: q.limit, ...(q.host ? { hostname: q.host } : {}), ...(before ? { before } : {}),
      filter: {
        ...(q.kind ? { kind: q.kind as NotificationKind } : {}),
        ...(q.severity ? { severity: q.severity } : {}),
        ...(q.suppressed ? { suppressed: q.suppressed === 'true' } : {}),
      },
    });
    return c.json({ items: page.items, next: nextOf(page.next) }, 200);
  });

  app.openapi(logs, async (c) => {
    const q = c.req.valid('query');
    if (q.app !== undefined && q.host !== undefined) return apiError(c, 400, 'bad_request', 'name at most one of app and host') as never;
    const fleet = q.app === undefined && q.host === undefined;
    const minLevel = q.level ? (LEVELS[q.level] as LogLevel) : fleet ? FLEET_ERROR_FLOOR : 10;
    if (fleet && minLevel < FLEET_ERROR_FLOOR) return apiError(c, 400, 'bad_request', 'the whole fleet\'s logs are kept indexed from level error up: name an app or a host for lower levels') as never;
    const range = rangeOf(q, deps.now(), 3_600_000);
    if (typeof range === 'string') return apiError(c, 400, 'bad_request', range) as never;
    const before = decodeCursor(q.next);
    const page = await deps.logs.page({
      ...range, minLevel, limit: q.limit, ...(q.app ? { app: q.app } : {}), ...(q.host ? { host: q.host } : {}), ...(before ? { before } : {}), ...(q.grep ? { grep: q.grep } : {}),
    });
    return c.json({ items: page.records, next: nextOf(page.next) }, 200);
  });

  app.openapi(reports, async (c) => {
    const q = c.req.valid('query');
    const page = await deps.reportPages.page(q.limit, decodeCursor(q.next));
    return c.json({ items: page.reports, next: nextOf(page.next) }, 200);
  });

  app.openapi(latestReport, async (c) => {
    const [latest] = await deps.reports.latest(1);
    if (!latest) return apiError(c, 404, 'not_found', 'no report yet: the report function writes one on its schedule (or `dts report --now`)') as never;
    return c.json({ report: latest.report as unknown as Record<string, unknown>, ...(latest.markdown ? { markdown: latest.markdown } : {}), ...(latest.html ? { html: latest.html } : {}) }, 200);
  });
}
