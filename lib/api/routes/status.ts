import { createHash } from 'node:crypto';
import { z, type OpenAPIHono } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { compress } from 'hono/compress';
import { viewStatusPage } from '../../app/status-pages';
import { checkSlug } from '../../domain/status/page';
import { renderBadgeSvg, renderStatusHtml } from '../../domain/status/render';
import { badgeJson, type StatusView } from '../../domain/status/view';
import type { ApiEnv } from '../auth';
import type { ApiDeps } from '../deps';

/**
 * The public status pages and badges: no key, one read of the page's item, and answers a cache
 * may keep for 30 s. Each carries an ETag of its bytes, which are the same all through a minute
 * (the view speaks for the minute), so a viewer that asks again with If-None-Match gets 304.
 * Anything not a page (an unknown slug or group, a malformed one) is a plain 404 that says nothing.
 */
const MAX_AGE_S = 30;
const PUBLIC = { 'cache-control': `public, max-age=${MAX_AGE_S}`, 'x-content-type-options': 'nosniff', 'referrer-policy': 'no-referrer' } as const;
// No script runs on a status page, in an SVG badge or a JSON answer; the page's own style is inline.
const HTML_CSP = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'";
const SVG_CSP = "default-src 'none'; style-src 'unsafe-inline'";

function notFound(c: Context): Response {
  return c.body('Not found\n', 404, { 'content-type': 'text/plain; charset=utf-8', ...PUBLIC });
}

/** 304 when the viewer holds these bytes already (RFC 9110, 13.1.2: weak comparison). */
function cached(c: Context, body: string, type: string, extra: Record<string, string> = {}): Response {
  const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`;
  const headers = { ...PUBLIC, etag, ...extra };
  const asked = c.req.header('if-none-match');
  if (asked !== undefined && (asked.trim() === '*' || asked.split(',').some((t) => t.trim().replace(/^W\//, '') === etag))) {
    return c.body(null, 304, headers);
  }
  return c.body(body, 200, { 'content-type': type, ...headers });
}

export function registerStatus(app: OpenAPIHono<ApiEnv>, deps: ApiDeps): void {
  const view = async (slug: string): Promise<StatusView | undefined> =>
    (deps.statusPages && checkSlug(slug) === undefined ? viewStatusPage(deps.statusPages, slug, deps.now()) : undefined);

  // Gzip for viewers that take it: bytes out are most of a view's cost (docs/BENCHMARKS.md, part 17).
  // The ETag then becomes weak, which If-None-Match compares weakly all the same.
  app.use('/status/*', compress({ encoding: 'gzip' }));
  app.use('/badge/*', compress({ encoding: 'gzip' }));

  app.get('/status/:page', async (c) => {
    const page = c.req.param('page');
    const json = page.endsWith('.json');
    const v = await view(json ? page.slice(0, -'.json'.length) : page);
    if (!v) return notFound(c);
    return json
      ? cached(c, JSON.stringify(v), 'application/json; charset=utf-8', { 'access-control-allow-origin': '*' })
      : cached(c, renderStatusHtml(v), 'text/html; charset=utf-8', { 'content-security-policy': HTML_CSP });
  });

  app.get('/badge/:slug/:file', async (c) => {
    const m = /^([a-z0-9-]{1,80})\.(svg|json)$/.exec(c.req.param('file'));
    const v = m ? await view(c.req.param('slug')) : undefined;
    const group = m && v?.groups.find((g) => g.key === m[1]);
    if (!m || !group) return notFound(c);
    return m[2] === 'json'
      ? cached(c, JSON.stringify(badgeJson(group)), 'application/json; charset=utf-8', { 'access-control-allow-origin': '*' })
      : cached(c, renderBadgeSvg(group), 'image/svg+xml; charset=utf-8', { 'content-security-policy': SVG_CSP });
  });

  registerDocs(app);
}

const Slug = z.string().regex(/^[a-z0-9-]+$/).openapi({ param: { name: 'slug', in: 'path' }, example: 'public' });
const Group = z.string().regex(/^[a-z0-9-]+$/).openapi({ param: { name: 'group', in: 'path' }, example: 'web' });
const STATES = ['operational', 'degraded', 'down'] as const;
const StatusViewSchema = z.object({
  slug: z.string(),
  title: z.string(),
  state: z.enum(STATES).openapi({ description: 'the worst of its groups' }),
  asOf: z.string().openapi({ description: 'the minute the view speaks for (ISO 8601)' }),
  groups: z.array(z.object({
    key: z.string().openapi({ description: "the group's name in its badge's URL" }),
    name: z.string(),
    state: z.enum(STATES).openapi({ description: 'operational: every member up; degraded: some down; down: all down' }),
    maintenance: z.boolean().openapi({ description: 'a silence covers a member now' }),
    availability: z.number().nullable().openapi({ description: 'percent, over the days of the bars that had members' }),
    bars: z.array(z.object({ day: z.string(), availability: z.number().nullable() })).openapi({ description: '90 UTC days, oldest first; the last is today so far' }),
    hosts: z.array(z.object({ name: z.string(), up: z.boolean() })).optional().openapi({ description: 'only on a page made with --show-hosts' }),
  })),
  incidents: z.array(z.object({ group: z.string(), state: z.enum(['degraded', 'down']), start: z.string(), end: z.string().nullable() })),
  maintenance: z.array(z.object({ groups: z.array(z.string()), startsAt: z.string(), endsAt: z.string() })),
}).openapi('StatusPage');
const Shields = z.object({ schemaVersion: z.literal(1), label: z.string(), message: z.enum(['up', 'degraded', 'down']), color: z.string() }).openapi('ShieldsEndpoint');

/** The public routes in the OpenAPI document: served above by plain routes, as their paths carry a suffix. */
function registerDocs(app: OpenAPIHono<ApiEnv>): void {
  const common = {
    304: { description: 'Not modified: the If-None-Match matched the ETag' },
    404: { description: 'No such page (or group): plain text, no detail', content: { 'text/plain': { schema: z.string() } } },
  };
  const headers = { 'Cache-Control': { schema: { type: 'string' as const }, description: `public, max-age=${MAX_AGE_S}` }, ETag: { schema: { type: 'string' as const } } };
  const paths = [
    { path: '/status/{slug}', params: z.object({ slug: Slug }), summary: 'A status page: HTML, no script, light and dark', content: { 'text/html': { schema: z.string() } } },
    { path: '/status/{slug}.json', params: z.object({ slug: Slug }), summary: 'A status page as JSON', content: { 'application/json': { schema: StatusViewSchema } } },
    { path: '/badge/{slug}/{group}.svg', params: z.object({ slug: Slug, group: Group }), summary: "A group's badge: up, degraded or down", content: { 'image/svg+xml': { schema: z.string() } } },
    { path: '/badge/{slug}/{group}.json', params: z.object({ slug: Slug, group: Group }), summary: "A group's badge in the shields.io endpoint format", content: { 'application/json': { schema: Shields } } },
  ];
  for (const p of paths) {
    app.openAPIRegistry.registerPath({
      method: 'get', path: p.path, summary: p.summary, security: [], tags: ['status'],
      request: { params: p.params, headers: z.object({ 'if-none-match': z.string().optional() }) },
      responses: { 200: { description: p.summary, headers, content: p.content }, ...common },
    });
  }
}
