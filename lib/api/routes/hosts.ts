import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import type { HostState } from '../../domain/model';
import type { ApiEnv } from '../auth';
import { requireRole } from '../auth';
import { BadCursor, decodeCursor, nextOf } from '../../adapters/dynamodb/cursor';
import { TARGET_LIMITS } from '../../domain/notification/silences';
import type { ApiDeps } from '../deps';
import { apiError, errorResponses } from '../errors';
import { hostView } from '../../domain/host/view';
import { NO_COUNTS } from '../../domain/host/counts';
import { HOST_STATES, HostSchema, LogRecordSchema, NotificationSchema, limitParam, nextParam, pageOf } from '../schemas';

const DAY = 86_400_000;

const list = createRoute({
  method: 'get', path: '/api/v1/hosts', 'x-dts-role': 'read', middleware: [requireRole('read')] as const,
  summary: 'Hosts, a page at a time, in table order, filtered by state, label and name prefix',
  request: {
    query: z.object({
      state: z.enum(HOST_STATES).optional(),
      label: z.string().max(TARGET_LIMITS.labelKey + 1 + TARGET_LIMITS.labelValue).regex(/^[^=]+=.+$/, 'label: expected key=value').optional().openapi({ example: 'role=web' }),
      prefix: z.string().max(TARGET_LIMITS.hostnameBytes).optional().openapi({ description: 'hostnames starting with this' }),
      limit: limitParam(1000, 200),
      next: nextParam,
    }),
  },
  responses: { 200: { description: 'A page of hosts', content: { 'application/json': { schema: pageOf(HostSchema, 'HostPage') } } }, ...errorResponses(400, 401, 403) },
});

const Counts = z.object({
  total: z.number(),
  byState: z.record(z.string(), z.number()),
  overdue: z.number().openapi({ description: 'alive or new but past their deadline' }),
  silenced: z.number(),
  at: z.number(),
}).openapi('HostCounts');

const counts = createRoute({
  method: 'get', path: '/api/v1/hosts/counts', 'x-dts-role': 'read', middleware: [requireRole('read')] as const,
  summary: 'How many hosts are in each state, as of the last diagnose pass (at most one schedule period old; `at` is its time, 0 before any pass)',
  responses: { 200: { description: 'Counts by state, read from the one item the last diagnose pass wrote', content: { 'application/json': { schema: Counts } } }, ...errorResponses(401, 403) },
});

const one = createRoute({
  method: 'get', path: '/api/v1/hosts/{hostname}', 'x-dts-role': 'read', middleware: [requireRole('read')] as const,
  summary: 'One host, with its recent notifications (30 days) and error logs (24 hours)',
  request: { params: z.object({ hostname: z.string().min(1).max(TARGET_LIMITS.hostnameBytes).openapi({ param: { name: 'hostname', in: 'path' } }) }) },
  responses: {
    200: {
      description: 'The host',
      content: { 'application/json': { schema: z.object({ host: HostSchema, notifications: z.array(NotificationSchema), errors: z.array(LogRecordSchema) }).openapi('HostDetail') } },
    },
    ...errorResponses(400, 401, 403, 404),
  },
});

/** A hosts cursor is a hostname: one longer than any host's name is not one this API gave out. */
function hostCursor(next: string | undefined): string | undefined {
  const after = decodeCursor(next);
  if (after !== undefined && Buffer.byteLength(after) > TARGET_LIMITS.hostnameBytes) throw new BadCursor();
  return after;
}

export function registerHosts(app: OpenAPIHono<ApiEnv>, deps: ApiDeps): void {
  app.openapi(list, async (c) => {
    const q = c.req.valid('query');
    const eq = q.label?.indexOf('=') ?? -1;
    const label = q.label !== undefined ? { key: q.label.slice(0, eq), value: q.label.slice(eq + 1) } : undefined;
    const [page, silences] = await Promise.all([
      deps.hostPages.page({ ...(q.state ? { state: q.state } : {}), ...(label ? { label } : {}), ...(q.prefix ? { prefix: q.prefix } : {}) }, q.limit, hostCursor(q.next)),
      deps.silences.all(),
    ]);
    const now = deps.now();
    return c.json({ items: page.hosts.map((h) => hostView(h, now, deps.liveness, silences)), next: nextOf(page.next) }, 200);
  });

  // One GetItem whatever the fleet's size: a read key cannot make the API scan the hosts table
  // (issue 20, finding 9). Before any pass, zeros at time 0, which say "not counted yet".
  app.openapi(counts, async (c) => c.json(await deps.hostCounts.hostCounts() ?? NO_COUNTS, 200));

  app.openapi(one, async (c) => {
    const { hostname } = c.req.valid('param');
    const found = await deps.hosts.get(hostname);
    if (!found) return apiError(c, 404, 'not_found', `no host ${JSON.stringify(hostname)}`) as never;
    const now = deps.now();
    const [silences, notifications, errors] = await Promise.all([
      deps.silences.all(),
      deps.notifications.page({ hostname, since: now - 30 * DAY, until: now + 60_000, limit: 20 }),
      deps.logs.query({ host: hostname, minLevel: 40, since: now - DAY, until: now + 60_000, limit: 20 }),
    ]);
    return c.json({ host: hostView(found, now, deps.liveness, silences), notifications: notifications.items, errors }, 200);
  });
}

export type { HostState };
