import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import { addRule, listRules, removeRule, showRule, type RuleAdmin, type RuleView } from '../../app/rules/manage';
import type { ApiEnv } from '../auth';
import { requireRole } from '../auth';
import type { ApiDeps } from '../deps';
import { apiError, errorResponses } from '../errors';

const LEVEL = z.enum(['debug', 'info', 'warning', 'error', 'critical']);

export const RuleSchema = z.object({
  name: z.string(),
  scope: z.object({ app: z.string(), host: z.string().optional(), fields: z.record(z.string(), z.string()).optional() }),
  condition: z.union([
    z.object({ kind: z.literal('count'), count: z.number(), withinMs: z.number(), minLevel: z.number() }),
    z.object({ kind: z.literal('silent'), forMs: z.number() }),
    z.object({ kind: z.literal('match'), pattern: z.string(), count: z.number(), withinMs: z.number(), minLevel: z.number() }),
  ]),
  severity: z.enum(['info', 'warning', 'critical']),
  createdAt: z.number(),
  firing: z.boolean(),
  since: z.number().optional().openapi({ description: 'while firing: when its log-alert fired' }),
}).openapi('LogRule');

const nameParam = z.object({ name: z.string().min(1).max(64).openapi({ param: { name: 'name', in: 'path' } }) });
const duration = z.union([z.string().max(32), z.number()]);

const list = createRoute({
  method: 'get', path: '/api/v1/rules', 'x-dts-role': 'read', middleware: [requireRole('read')] as const,
  summary: 'Every log rule, by name, with whether it is firing',
  responses: { 200: { description: 'The rules', content: { 'application/json': { schema: z.object({ items: z.array(RuleSchema) }).openapi('LogRuleList') } } }, ...errorResponses(401, 403, 404) },
});

const show = createRoute({
  method: 'get', path: '/api/v1/rules/{name}', 'x-dts-role': 'read', middleware: [requireRole('read')] as const,
  summary: 'One log rule',
  request: { params: nameParam },
  responses: { 200: { description: 'The rule', content: { 'application/json': { schema: RuleSchema } } }, ...errorResponses(400, 401, 403, 404) },
});

const create = createRoute({
  method: 'post', path: '/api/v1/rules', 'x-dts-role': 'write', middleware: [requireRole('write')] as const,
  summary: 'Add a log rule: a count of records in a window, a silence, or lines matching a pattern (docs/RULES.md)',
  request: {
    body: {
      required: true,
      content: {
        'application/json': {
          schema: z.object({
            name: z.string().openapi({ example: 'web-errors' }),
            app: z.string().openapi({ example: 'web' }),
            host: z.string().optional(),
            fields: z.record(z.string(), z.string()).optional().openapi({ description: 'only records whose fields carry these values' }),
            level: LEVEL.optional().openapi({ description: 'count records at or above this level (count and match rules)' }),
            count: z.number().optional().openapi({ description: 'at least this many records (default 1 for match)' }),
            within: duration.optional().openapi({ description: 'the window: 1m to 7d, whole minutes', example: '5m' }),
            silent: duration.optional().openapi({ description: 'fire when the scope logs nothing for this long (10s to 30d)', example: '26h' }),
            match: z.string().max(100_000).optional().openapi({ description: 'an RE2 pattern, matched on the first 8 KB of each record\'s text', example: 'OutOfMemoryError' }),
            severity: z.enum(['info', 'warning', 'critical']).optional(),
          }).openapi('NewLogRule'),
        },
      },
    },
  },
  responses: { 201: { description: 'The rule', content: { 'application/json': { schema: RuleSchema } } }, ...errorResponses(400, 401, 403, 404, 409) },
});

const remove = createRoute({
  method: 'delete', path: '/api/v1/rules/{name}', 'x-dts-role': 'write', middleware: [requireRole('write')] as const,
  summary: 'Remove a log rule; if it is firing, the next diagnose pass closes its alert with a log-ok',
  request: { params: nameParam },
  responses: { 200: { description: 'Removed', content: { 'application/json': { schema: z.object({ name: z.string(), removed: z.literal(true) }) } } }, ...errorResponses(400, 401, 403, 404) },
});

const view = (r: RuleView) => ({ ...r, scope: { ...r.scope } });

export function registerRules(app: OpenAPIHono<ApiEnv>, deps: ApiDeps): void {
  const admin = (): RuleAdmin | undefined => (deps.rules ? { rules: deps.rules, now: deps.now } : undefined);
  const missing = 'log rules are not available on this deployment';

  app.openapi(list, async (c) => {
    const a = admin();
    if (!a) return apiError(c, 404, 'not_found', missing) as never;
    return c.json({ items: (await listRules(a)).map(view) }, 200);
  });

  app.openapi(show, async (c) => {
    const a = admin();
    if (!a) return apiError(c, 404, 'not_found', missing) as never;
    const { name } = c.req.valid('param');
    const rule = await showRule(a, name);
    if (!rule) return apiError(c, 404, 'not_found', `no rule ${JSON.stringify(name)}`) as never;
    return c.json(view(rule), 200);
  });

  app.openapi(create, async (c) => {
    const a = admin();
    if (!a) return apiError(c, 404, 'not_found', missing) as never;
    const added = await addRule(a, c.req.valid('json'));
    if (!added.ok) return apiError(c, added.duplicate ? 409 : 400, added.duplicate ? 'conflict' : 'bad_request', added.error) as never;
    return c.json(view({ ...added.value, firing: false }), 201);
  });

  app.openapi(remove, async (c) => {
    const a = admin();
    if (!a) return apiError(c, 404, 'not_found', missing) as never;
    const { name } = c.req.valid('param');
    if (!(await removeRule(a, name))) return apiError(c, 404, 'not_found', `no rule ${JSON.stringify(name)}`) as never;
    return c.json({ name, removed: true as const }, 200);
  });
}
