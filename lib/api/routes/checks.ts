import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import { checkView } from '../../domain/check/view';
import type { ApiEnv } from '../auth';
import { requireRole } from '../auth';
import type { ApiDeps } from '../deps';
import { apiError, errorResponses } from '../errors';

export const CheckSchema = z.object({
  name: z.string(),
  state: z.enum(['new', 'up', 'late', 'failed', 'long', 'paused']),
  schedule: z.string().openapi({ example: 'cron "0 2 * * *" Europe/Berlin' }),
  graceSeconds: z.number(),
  maxRunSeconds: z.number().nullable(),
  labels: z.record(z.string(), z.string()),
  lastPing: z.string().nullable(),
  lastSignal: z.enum(['start', 'success', 'fail']).nullable(),
  nextExpected: z.string().nullable(),
  lateAt: z.string().nullable(),
  lastDurationSeconds: z.number().nullable(),
  lastExitStatus: z.number().nullable(),
  running: z.boolean(),
  pings: z.number(),
  createdAt: z.string(),
}).openapi('Check');

const list = createRoute({
  method: 'get', path: '/api/v1/checks', 'x-dts-role': 'read', middleware: [requireRole('read')] as const,
  summary: 'Every check (scheduled job), in name order: state, last signal, next expected, last duration and exit status',
  responses: { 200: { description: 'The checks', content: { 'application/json': { schema: z.object({ items: z.array(CheckSchema) }).openapi('CheckList') } } }, ...errorResponses(401, 403) },
});

const one = createRoute({
  method: 'get', path: '/api/v1/checks/{name}', 'x-dts-role': 'read', middleware: [requireRole('read')] as const,
  summary: 'One check',
  request: { params: z.object({ name: z.string().min(1).max(128).openapi({ param: { name: 'name', in: 'path' } }) }) },
  responses: { 200: { description: 'The check', content: { 'application/json': { schema: CheckSchema } } }, ...errorResponses(400, 401, 403, 404) },
});

export function registerChecks(app: OpenAPIHono<ApiEnv>, deps: ApiDeps): void {
  app.openapi(list, async (c) => {
    const checks = deps.checks ? await deps.checks.list() : [];
    return c.json({ items: checks.map((k) => checkView(k) as z.infer<typeof CheckSchema>) }, 200);
  });
  app.openapi(one, async (c) => {
    const { name } = c.req.valid('param');
    const check = deps.checks ? await deps.checks.get(name) : undefined;
    if (!check) return apiError(c, 404, 'not_found', `no check named ${JSON.stringify(name)}`) as never;
    return c.json(checkView(check) as z.infer<typeof CheckSchema>, 200);
  });
}
