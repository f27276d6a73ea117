import type { Context, Env, Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { recordPing, UNKNOWN_KEY, type PingDeps } from '../../app/checks/ping';
import { BODY_LIMIT_BYTES } from '../../domain/check/signal';
import type { Clock } from '../../ports';
import { validateCheckPing } from '../../domain/check/ping';

/**
 * `GET` or `POST /ping/<ping key>[/start|/fail|/<0-255>]`: a check's signal with no API key and
 * no AWS credentials, one `curl` from a crontab line (docs/CHECKS.md). The key is the credential:
 * an unknown or revoked one is 404 and writes nothing. The body is the job's output.
 * Plain-text answers, since curl -fsS prints them.
 */
export function registerPing<E extends Env>(app: Hono<E>, pings: PingDeps, now: Clock): void {
  const limit = bodyLimit({ maxSize: BODY_LIMIT_BYTES, onError: (c) => c.text(`a ping's body is at most ${BODY_LIMIT_BYTES} bytes: send the end of the output\n`, 413) });
  const handle = async (c: Context, status: string): Promise<Response> => {
    const output = c.req.method === 'POST' ? new TextDecoder('utf-8').decode(await c.req.arrayBuffer()) : '';
    const valid = validateCheckPing({ key: c.req.param('key') ?? '', status, output });
    if (!valid.ok) return c.text(`${valid.error.reason}\n`, valid.error.reason === UNKNOWN_KEY ? 404 : 400);
    const outcome = await recordPing(pings, valid.value, now());
    return outcome.ok ? c.text('OK\n', 200) : c.text(`${outcome.reason}\n`, 404);
  };
  for (const method of ['get', 'post'] as const) {
    app[method]('/ping/:key', limit, (c) => handle(c as unknown as Context, ''));
    app[method]('/ping/:key/:status', limit, (c) => handle(c as unknown as Context, c.req.param('status')));
  }
}
