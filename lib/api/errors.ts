import { z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';

/** Every error the API returns: a stable machine code and a sentence for people. */
export const ErrorSchema = z.object({
  error: z.object({
    code: z.string().openapi({ example: 'unauthorized' }),
    message: z.string().openapi({ example: 'send an API key: Authorization: Bearer dts_…' }),
  }),
}).openapi('Error');

export type ErrorCode = 'unauthorized' | 'forbidden' | 'bad_request' | 'bad_cursor' | 'not_found' | 'conflict' | 'internal';

export function apiError(c: Context, status: ContentfulStatusCode, code: ErrorCode, message: string): Response {
  return c.json({ error: { code, message } }, status);
}

/** The error responses a route can give, for its OpenAPI description. */
export function errorResponses(...statuses: (400 | 401 | 403 | 404 | 409)[]): Record<number, { description: string; content: { 'application/json': { schema: typeof ErrorSchema } } }> {
  const text: Record<number, string> = {
    400: 'The request is malformed (a bad filter, time or cursor)',
    401: 'No API key, or one that is unknown or revoked',
    403: 'The key may read but not write',
    404: 'Not found',
    409: 'It exists already',
  };
  return Object.fromEntries(statuses.map((s) => [s, { description: text[s] as string, content: { 'application/json': { schema: ErrorSchema } } }]));
}
