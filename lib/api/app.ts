/**
 * The operator API and the console page, as one Hono app: `/api/v1/*` answers only to an API
 * key, `/ping/<ping key>` (checks' signals) to the key in its path, the page (`/`, one document with its script and style inline) to anyone. The OpenAPI document is generated
 * from the route definitions, so it cannot drift from what the routes accept.
 */
import { createHash } from 'node:crypto';
import { OpenAPIHono } from '@hono/zod-openapi';
import { cors } from 'hono/cors';
import { HTTPException } from 'hono/http-exception';
import { authenticate, type ApiEnv } from './auth';
import { BadCursor } from '../adapters/dynamodb/cursor';
import type { ApiDeps } from './deps';
import { apiError } from './errors';
import { registerFeeds } from './routes/feeds';
import { registerHosts } from './routes/hosts';
import { registerSilences } from './routes/silences';
import { registerChecks } from './routes/checks';
import { registerPing } from './routes/ping';
import { registerStatus } from './routes/status';
import { registerRules } from './routes/rules';

export const API_PREFIX = '/api/v1';

/** A static file of the page. */
export interface Asset {
  readonly type: string;
  readonly body: string;
}

/**
 * Headers on the page's own files. The page keeps its key in localStorage and has a silence
 * form, so no other site may frame it (clickjacking); `nosniff` keeps each file the type it says.
 */
export const ASSET_HEADERS = {
  'cache-control': 'no-cache',
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'content-security-policy': "frame-ancestors 'none'",
} as const;

/**
 * The page's Content-Security-Policy: its one inline script and its one inline style run by their
 * SHA-256, nothing else runs or loads, and it talks only to its own origin. A name or a log line
 * that slipped past the page's escaping could still not run a script, load one, or send the key
 * elsewhere. The hashes are taken from the page as served, so a rebuilt page cannot fall out of it.
 */
export function pageCsp(html: string): string {
  const hashes = (tag: string): string[] => [...html.matchAll(new RegExp(`<${tag}\\b[^>]*>([^]*?)</${tag}>`, 'g'))]
    .map((m) => `'sha256-${createHash('sha256').update(m[1] ?? '', 'utf8').digest('base64')}'`);
  return [
    "default-src 'none'",
    `script-src ${['\'self\'', ...hashes('script')].join(' ')}`,
    `style-src ${['\'self\'', ...hashes('style')].join(' ')}`,
    "img-src 'self' data:",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
}

export const OPENAPI_INFO = { openapi: '3.0.3', info: { title: 'dts operator API', version: '1' } } as const;

export function buildApi(deps: ApiDeps, assets: Readonly<Record<string, Asset>> = {}): OpenAPIHono<ApiEnv> {
  const app = new OpenAPIHono<ApiEnv>({
    defaultHook: (result, c) => {
      if (!result.success) {
        const message = result.error.issues.map((i) => `${i.path.join('.') || 'request'}: ${i.message}`).join('; ');
        return apiError(c, 400, 'bad_request', message);
      }
      return undefined;
    },
  });

  // The console's own origin is wherever the API is served from: a browser page elsewhere gets
  // no CORS headers (and so no answers), unless its origin is configured.
  // Every answer, JSON and errors included, is the type it says: no browser sniffs one into a page.
  app.use('*', async (c, next) => {
    await next();
    c.res.headers.set('x-content-type-options', 'nosniff');
  });

  app.use('/api/*', cors({
    origin: (origin, c) => {
      if (deps.extraOrigins.includes(origin)) return origin;
      try {
        return new URL(origin).host === c.req.header('host') ? origin : null;
      } catch {
        return null;
      }
    },
    allowHeaders: ['Authorization', 'Content-Type'],
    allowMethods: ['GET', 'POST', 'DELETE'],
    maxAge: 600,
  }));
  app.use('/api/*', authenticate(deps.keys));

  registerHosts(app, deps);
  registerFeeds(app, deps);
  registerSilences(app, deps);
  registerChecks(app, deps);
  // Outside /api: a ping's key is its credential, and a crontab line has no API key (docs/CHECKS.md).
  if (deps.pings) registerPing(app, deps.pings, deps.now);
  registerStatus(app, deps);
  registerRules(app, deps);

  app.openAPIRegistry.registerComponent('securitySchemes', 'apiKey', { type: 'http', scheme: 'bearer', description: 'a dts API key (`dts keys create`)' });
  app.doc(`${API_PREFIX}/openapi.json`, { ...OPENAPI_INFO, security: [{ apiKey: [] }] });

  for (const [path, asset] of Object.entries(assets)) {
    const headers = { 'content-type': asset.type, ...ASSET_HEADERS, ...(asset.type.startsWith('text/html') ? { 'content-security-policy': pageCsp(asset.body) } : {}) };
    app.get(path, (c) => c.body(asset.body, 200, headers));
  }

  app.notFound((c) => apiError(c, 404, 'not_found', `no route ${c.req.method} ${new URL(c.req.url).pathname}`));
  app.onError((e, c) => {
    if (e instanceof BadCursor) return apiError(c, 400, 'bad_cursor', e.message);
    if (e instanceof HTTPException && e.status < 500) return apiError(c, e.status as 400, 'bad_request', e.message);
    console.error(JSON.stringify({ level: 'ERROR', message: 'api request failed', path: c.req.path, error: e.message, stack: e.stack }));
    return apiError(c, 500, 'internal', 'the request failed; it is logged');
  });
  return app;
}
