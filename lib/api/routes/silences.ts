import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import type { Silence } from '../../domain/model';
import { isInForce, parseSilenceTarget, silenceId } from '../../domain/notification/silences';
import type { ApiEnv } from '../auth';
import { requireRole } from '../auth';
import { decodeCursor, nextOf } from '../../adapters/dynamodb/cursor';
import type { ApiDeps } from '../deps';
import { apiError, errorResponses } from '../errors';
import { SilenceSchema, limitParam, nextParam, pageOf } from '../schemas';

const MAX_SECONDS = 90 * 86_400;

const list = createRoute({
  method: 'get', path: '/api/v1/silences', 'x-dts-role': 'read', middleware: [requireRole('read')] as const,
  summary: 'Silences in force or planned (with all=true, also those that ended this week), soonest end first',
  request: { query: z.object({ all: z.enum(['true', 'false']).optional(), limit: limitParam(500, 100), next: nextParam }) },
  responses: { 200: { description: 'A page of silences', content: { 'application/json': { schema: pageOf(SilenceSchema, 'SilencePage') } } }, ...errorResponses(400, 401, 403) },
});

/** One request body for each kind of target, shown with the route in the OpenAPI document. */
const TARGET_EXAMPLES = {
  host: { summary: 'one host', value: { target: 'web-1', seconds: 7200, reason: 'kernel upgrade' } },
  label: { summary: 'every host and check whose label role is db', value: { target: 'role=db', seconds: 1800, reason: 'failover drill' } },
  check: { summary: 'one check (a scheduled job)', value: { target: 'check:nightly-backup', seconds: 7200, reason: 'storage migration' } },
  app: { summary: 'the log rules\' alerts about one app', value: { target: 'app:web', seconds: 3600, reason: 'noisy deploy' } },
  rule: { summary: 'one log rule\'s alerts', value: { target: 'rule:web-errors', seconds: 3600, reason: 'known bug' } },
};

const create = createRoute({
  method: 'post', path: '/api/v1/silences', 'x-dts-role': 'write', middleware: [requireRole('write')] as const,
  summary: 'Silence a host, every host and check with a label value, a check (check:NAME), or log rules\' alerts (app:NAME, rule:NAME), for a while',
  request: {
    body: {
      required: true,
      content: {
        'application/json': {
          schema: z.object({
            target: z.string().min(1).openapi({
              description: 'a hostname; label=value for every host and check with that label; check:NAME for one check; app:NAME or rule:NAME for log rules\' alerts',
              example: 'role=db',
            }),
            seconds: z.number().int().min(1).max(MAX_SECONDS).openapi({ description: 'how long, from now', example: 7200 }),
            reason: z.string().trim().min(1).max(500),
          }).openapi('NewSilence'),
          examples: TARGET_EXAMPLES,
        },
      },
    },
  },
  responses: { 201: { description: 'The silence', content: { 'application/json': { schema: SilenceSchema } } }, ...errorResponses(400, 401, 403) },
});

const end = createRoute({
  method: 'delete', path: '/api/v1/silences/{id}', 'x-dts-role': 'write', middleware: [requireRole('write')] as const,
  summary: 'End a silence now',
  request: { params: z.object({ id: z.string().min(1).max(64).openapi({ param: { name: 'id', in: 'path' } }) }) },
  responses: {
    200: { description: 'Ended', content: { 'application/json': { schema: z.object({ id: z.string(), endedAt: z.number() }) } } },
    ...errorResponses(400, 401, 403, 404),
  },
});

function view(s: Silence, now: number): Silence & { inForce: boolean } {
  return { ...s, inForce: isInForce(s, now) };
}

export function registerSilences(app: OpenAPIHono<ApiEnv>, deps: ApiDeps): void {
  app.openapi(list, async (c) => {
    const q = c.req.valid('query');
    const now = deps.now();
    const after = decodeCursor(q.next);
    // Few silences exist at a time (one partition); the page is cut from the sorted whole.
    const order = (s: Silence): string => `${String(s.endsAt).padStart(15, '0')}#${s.id}`;
    const all = (await deps.silences.all()).filter((s) => q.all === 'true' || s.endsAt > now).sort((a, b) => (order(a) < order(b) ? -1 : 1));
    const rest = after === undefined ? all : all.filter((s) => order(s) > after);
    const items = rest.slice(0, q.limit);
    const last = items[items.length - 1];
    return c.json({ items: items.map((s) => view(s, now)), next: rest.length > q.limit && last ? nextOf(order(last)) : null }, 200);
  });

  app.openapi(create, async (c) => {
    const body = c.req.valid('json');
    const target = parseSilenceTarget(body.target);
    if (typeof target === 'string') return apiError(c, 400, 'bad_request', target) as never;
    const now = deps.now();
    const silence: Silence = {
      id: silenceId(target, now), target, startsAt: now, endsAt: now + body.seconds * 1000, reason: body.reason, createdBy: `key:${c.get('apiKey').keyId}`,
    };
    await deps.silences.create(silence);
    return c.json(view(silence, now), 201);
  });

  app.openapi(end, async (c) => {
    const { id } = c.req.valid('param');
    const now = deps.now();
    if (!(await deps.silences.end(id, now))) return apiError(c, 404, 'not_found', `no silence ${JSON.stringify(id)} in force`) as never;
    return c.json({ id, endedAt: now }, 200);
  });
}
