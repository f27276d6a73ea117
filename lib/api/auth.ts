import type { MiddlewareHandler } from 'hono';
import { apiError } from './errors';
import type { ApiKeyInfo } from '../ports';
import type { ApiRole } from '../ports';

export interface ApiEnv {
  Variables: { apiKey: ApiKeyInfo };
}

export interface KeyVerifier {
  verify(token: string): Promise<ApiKeyInfo | undefined>;
}

/** Every /api route: a known, unrevoked key in `Authorization: Bearer …`, or 401. */
export function authenticate(keys: KeyVerifier): MiddlewareHandler<ApiEnv> {
  return async (c, next) => {
    const header = c.req.header('authorization') ?? '';
    const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!m) return apiError(c, 401, 'unauthorized', 'send an API key: Authorization: Bearer dts_… (`dts keys create` makes one)');
    const key = await keys.verify(m[1] as string);
    if (!key) return apiError(c, 401, 'unauthorized', 'this API key is unknown or revoked');
    c.set('apiKey', key);
    await next();
  };
}

/** A write route: the key's role must be write, or 403. */
export function requireRole(role: ApiRole): MiddlewareHandler<ApiEnv> {
  return async (c, next) => {
    const key = c.get('apiKey');
    if (role === 'write' && key.role !== 'write') return apiError(c, 403, 'forbidden', `key ${key.keyId} may only read; this needs a write key (\`dts keys create --role write\`)`);
    await next();
  };
}
