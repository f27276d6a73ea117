/**
 * Small local stand-ins for the services channels deliver to, each on 127.0.0.1 on a free port.
 * Each checks the request as its service documents it (required fields, enums, length limits),
 * answers with the service's own status and body, and records what it got. A test can queue
 * answers (429 with Retry-After, 500) and take a receiver down and bring it back on its port.
 *
 * The checks follow the services' public docs:
 * - Slack incoming webhooks and Block Kit: api.slack.com/messaging/webhooks, /reference/block-kit/blocks
 * - Discord: discord.com/developers/docs/resources/webhook#execute-webhook, .../message#embed-object-embed-limits
 * - Teams Workflows webhooks: learn.microsoft.com/.../connectors/... (a message with an Adaptive Card attachment)
 * - PagerDuty Events API v2: developer.pagerduty.com/docs/events-api-v2/trigger-events, /resolve-events
 * - Opsgenie Alert API: docs.opsgenie.com/docs/alert-api (create alert, close alert)
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { verifySignature } from '../../lib/domain/channel/signature';

export type ServiceKind = 'slack' | 'discord' | 'teams' | 'pagerduty' | 'opsgenie' | 'webhook';

export interface Received {
  readonly at: number;
  readonly method: string;
  readonly path: string;
  readonly headers: Record<string, string>;
  readonly raw: string;
  readonly body: unknown;
  /** What the service would have refused in it; empty when valid. */
  readonly problems: string[];
  /** The status it was answered with. */
  readonly status: number;
}

export interface Answer {
  /** Only for the first request whose body matches; any request when absent. */
  readonly when?: RegExp;
  readonly status: number;
  readonly headers?: Record<string, string>;
  readonly body?: string;
}

export interface Receiver {
  readonly kind: ServiceKind;
  readonly url: string;
  readonly received: Received[];
  /** Answers for the next requests, before the service's normal behaviour resumes. */
  queue(...answers: Answer[]): void;
  /** Stops listening (connections are refused) until `up()`. */
  down(): Promise<void>;
  up(): Promise<void>;
  close(): Promise<void>;
}

export interface ReceiverOptions {
  /** PagerDuty routing key, Opsgenie API key, or the webhook signing key the receiver expects. */
  readonly key?: string;
}

type Json = Record<string, unknown>;
const isObj = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): v is string => typeof v === 'string';

function limit(problems: string[], path: string, v: unknown, max: number, required = true): void {
  if (v === undefined) {
    if (required) problems.push(`${path} is required`);
    return;
  }
  if (!str(v)) problems.push(`${path} must be a string`);
  else if (v.length === 0 && required) problems.push(`${path} must not be empty`);
  else if (v.length > max) problems.push(`${path} is ${v.length} characters, more than ${max}`);
}

export function slackProblems(body: unknown): string[] {
  const p: string[] = [];
  if (!isObj(body)) return ['body must be a JSON object'];
  if (body.text === undefined && body.blocks === undefined) p.push('text or blocks is required');
  if (body.text !== undefined) limit(p, 'text', body.text, 40000);
  if (body.blocks !== undefined) {
    if (!Array.isArray(body.blocks) || body.blocks.length > 50) return [...p, 'blocks must be an array of at most 50'];
    body.blocks.forEach((b: unknown, i) => {
      const at = `blocks[${i}]`;
      if (!isObj(b)) return void p.push(`${at} must be an object`);
      if (b.type === 'header') {
        if (!isObj(b.text) || b.text.type !== 'plain_text') p.push(`${at}.text must be a plain_text object`);
        else limit(p, `${at}.text.text`, b.text.text, 150);
      } else if (b.type === 'section') {
        if (b.text === undefined && b.fields === undefined) p.push(`${at} needs text or fields`);
        if (b.text !== undefined) {
          if (!isObj(b.text) || !['mrkdwn', 'plain_text'].includes(String(b.text.type))) p.push(`${at}.text must be a text object`);
          else limit(p, `${at}.text.text`, b.text.text, 3000);
        }
        if (b.fields !== undefined) {
          if (!Array.isArray(b.fields) || b.fields.length > 10) p.push(`${at}.fields must be an array of at most 10`);
          else b.fields.forEach((f: unknown, j) => {
            if (!isObj(f) || !['mrkdwn', 'plain_text'].includes(String(f.type))) p.push(`${at}.fields[${j}] must be a text object`);
            else limit(p, `${at}.fields[${j}].text`, f.text, 2000);
          });
        }
      } else if (b.type === 'context') {
        if (!Array.isArray(b.elements) || b.elements.length === 0 || b.elements.length > 10) p.push(`${at}.elements must hold 1 to 10 elements`);
      } else if (b.type !== 'divider') {
        p.push(`${at}.type ${JSON.stringify(b.type)} is not a block this receiver knows`);
      }
    });
  }
  return p;
}

export function discordProblems(body: unknown): string[] {
  const p: string[] = [];
  if (!isObj(body)) return ['body must be a JSON object'];
  if (body.content === undefined && body.embeds === undefined) p.push('content or embeds is required');
  if (body.content !== undefined) limit(p, 'content', body.content, 2000);
  if (body.username !== undefined) limit(p, 'username', body.username, 80);
  if (body.embeds !== undefined) {
    if (!Array.isArray(body.embeds) || body.embeds.length > 10) return [...p, 'embeds must be an array of at most 10'];
    let total = 0;
    body.embeds.forEach((e: unknown, i) => {
      const at = `embeds[${i}]`;
      if (!isObj(e)) return void p.push(`${at} must be an object`);
      limit(p, `${at}.title`, e.title, 256, false);
      limit(p, `${at}.description`, e.description, 4096, false);
      total += String(e.title ?? '').length + String(e.description ?? '').length;
      if (e.color !== undefined && !(Number.isInteger(e.color) && (e.color as number) >= 0 && (e.color as number) <= 0xffffff)) p.push(`${at}.color must be an integer RGB`);
      if (e.timestamp !== undefined && !(str(e.timestamp) && Number.isFinite(Date.parse(e.timestamp)))) p.push(`${at}.timestamp must be ISO8601`);
      if (e.footer !== undefined) {
        if (!isObj(e.footer)) p.push(`${at}.footer must be an object`);
        else { limit(p, `${at}.footer.text`, e.footer.text, 2048); total += String(e.footer.text ?? '').length; }
      }
      if (e.fields !== undefined) {
        if (!Array.isArray(e.fields) || e.fields.length > 25) p.push(`${at}.fields must be an array of at most 25`);
        else e.fields.forEach((f: unknown, j) => {
          if (!isObj(f)) return void p.push(`${at}.fields[${j}] must be an object`);
          limit(p, `${at}.fields[${j}].name`, f.name, 256);
          limit(p, `${at}.fields[${j}].value`, f.value, 1024);
          total += String(f.name ?? '').length + String(f.value ?? '').length;
          if (f.inline !== undefined && typeof f.inline !== 'boolean') p.push(`${at}.fields[${j}].inline must be a boolean`);
        });
      }
    });
    if (total > 6000) p.push(`the embeds hold ${total} characters, more than 6000`);
  }
  return p;
}

export function teamsProblems(body: unknown): string[] {
  const p: string[] = [];
  if (!isObj(body)) return ['body must be a JSON object'];
  if (body.type !== 'message') p.push('type must be "message"');
  if (!Array.isArray(body.attachments) || body.attachments.length === 0) return [...p, 'attachments must be a non-empty array'];
  body.attachments.forEach((a: unknown, i) => {
    const at = `attachments[${i}]`;
    if (!isObj(a)) return void p.push(`${at} must be an object`);
    if (a.contentType !== 'application/vnd.microsoft.card.adaptive') p.push(`${at}.contentType must be application/vnd.microsoft.card.adaptive`);
    const c = a.content;
    if (!isObj(c)) return void p.push(`${at}.content must be an Adaptive Card`);
    if (c.type !== 'AdaptiveCard') p.push(`${at}.content.type must be AdaptiveCard`);
    if (!str(c.version) || !/^1\.[0-6]$/.test(c.version)) p.push(`${at}.content.version must be 1.0 to 1.6`);
    if (!Array.isArray(c.body)) return void p.push(`${at}.content.body must be an array`);
    c.body.forEach((el: unknown, j) => {
      const e = `${at}.content.body[${j}]`;
      if (!isObj(el)) return void p.push(`${e} must be an object`);
      if (el.type === 'TextBlock') {
        if (!str(el.text) || el.text === '') p.push(`${e}.text must be a non-empty string`);
        if (el.color !== undefined && !['Default', 'Dark', 'Light', 'Accent', 'Good', 'Warning', 'Attention'].includes(String(el.color))) p.push(`${e}.color ${JSON.stringify(el.color)} is not a colour`);
        if (el.size !== undefined && !['Default', 'Small', 'Medium', 'Large', 'ExtraLarge'].includes(String(el.size))) p.push(`${e}.size is not a size`);
        if (el.weight !== undefined && !['Default', 'Lighter', 'Bolder'].includes(String(el.weight))) p.push(`${e}.weight is not a weight`);
      } else if (el.type === 'FactSet') {
        if (!Array.isArray(el.facts)) p.push(`${e}.facts must be an array`);
        else el.facts.forEach((f: unknown, k) => {
          if (!isObj(f) || !str(f.title) || !str(f.value)) p.push(`${e}.facts[${k}] must have a title and a value`);
        });
      } else {
        p.push(`${e}.type ${JSON.stringify(el.type)} is not an element this receiver knows`);
      }
    });
  });
  return p;
}

export function pagerDutyProblems(body: unknown, key: string | undefined): string[] {
  const p: string[] = [];
  if (!isObj(body)) return ['body must be a JSON object'];
  if (!str(body.routing_key) || body.routing_key.length !== 32) p.push('routing_key must be a 32-character integration key');
  else if (key !== undefined && body.routing_key !== key) p.push('routing_key is not this service\'s');
  if (!['trigger', 'acknowledge', 'resolve'].includes(String(body.event_action))) p.push('event_action must be trigger, acknowledge or resolve');
  if (body.dedup_key !== undefined) limit(p, 'dedup_key', body.dedup_key, 255);
  if (body.event_action !== 'trigger') {
    if (body.dedup_key === undefined) p.push('dedup_key is required to acknowledge or resolve');
    return p;
  }
  const payload = body.payload;
  if (!isObj(payload)) return [...p, 'payload is required to trigger'];
  limit(p, 'payload.summary', payload.summary, 1024);
  limit(p, 'payload.source', payload.source, 255);
  if (!['critical', 'error', 'warning', 'info'].includes(String(payload.severity))) p.push('payload.severity must be critical, error, warning or info');
  if (payload.timestamp !== undefined && !(str(payload.timestamp) && Number.isFinite(Date.parse(payload.timestamp)))) p.push('payload.timestamp must be ISO 8601');
  if (payload.custom_details !== undefined && !isObj(payload.custom_details)) p.push('payload.custom_details must be an object');
  return p;
}

export function opsgenieProblems(path: string, body: unknown, auth: string | undefined, key: string | undefined): string[] {
  const p: string[] = [];
  if (auth !== `GenieKey ${key ?? ''}`) p.push('Authorization must be "GenieKey <api key>"');
  if (!isObj(body)) return [...p, 'body must be a JSON object'];
  const url = new URL(path, 'http://x');
  if (url.pathname === '/v2/alerts') {
    limit(p, 'message', body.message, 130);
    limit(p, 'alias', body.alias, 512, false);
    limit(p, 'description', body.description, 15000, false);
    limit(p, 'entity', body.entity, 512, false);
    limit(p, 'source', body.source, 100, false);
    if (body.priority !== undefined && !['P1', 'P2', 'P3', 'P4', 'P5'].includes(String(body.priority))) p.push('priority must be P1 to P5');
    if (body.tags !== undefined && !(Array.isArray(body.tags) && body.tags.length <= 20 && body.tags.every((t) => str(t) && t.length <= 50))) p.push('tags must be at most 20 strings of at most 50 characters');
    if (body.details !== undefined && !(isObj(body.details) && Object.values(body.details).every(str))) p.push('details must map strings to strings');
  } else if (/^\/v2\/alerts\/[^/]+\/close$/.test(url.pathname)) {
    if (url.searchParams.get('identifierType') !== 'alias') p.push('identifierType=alias is expected, since dts closes by alias');
    limit(p, 'user', body.user, 100, false);
    limit(p, 'source', body.source, 100, false);
    limit(p, 'note', body.note, 25000, false);
  } else {
    p.push(`no such endpoint: POST ${url.pathname}`);
  }
  return p;
}

function problemsOf(kind: ServiceKind, req: IncomingMessage, raw: string, body: unknown, o: ReceiverOptions): string[] {
  if (req.method !== 'POST') return [`method ${req.method} is not POST`];
  if (!String(req.headers['content-type'] ?? '').startsWith('application/json')) return ['Content-Type must be application/json'];
  switch (kind) {
    case 'slack': return slackProblems(body);
    case 'discord': return discordProblems(body);
    case 'teams': return teamsProblems(body);
    case 'pagerduty': return pagerDutyProblems(body, o.key);
    case 'opsgenie': return opsgenieProblems(req.url ?? '/', body, req.headers.authorization, o.key);
    case 'webhook': {
      const ts = String(req.headers['x-dts-timestamp'] ?? '');
      const sig = String(req.headers['x-dts-signature'] ?? '');
      if (!o.key) return [];
      return verifySignature(o.key, ts, raw, sig, Date.now() / 1000) ? [] : ['X-Dts-Signature does not verify'];
    }
  }
}

/** Each service's answer to a valid request, and to an invalid one. */
function normal(kind: ServiceKind, problems: string[], req: IncomingMessage, body: unknown): Answer {
  const json = (status: number, b: unknown): Answer => ({ status, headers: { 'content-type': 'application/json' }, body: JSON.stringify(b) });
  if (problems.length > 0) {
    switch (kind) {
      case 'slack': return { status: 400, body: 'invalid_blocks' };
      case 'discord': return json(400, { code: 50035, message: 'Invalid Form Body', errors: problems });
      case 'teams': return json(400, { error: { code: 'InvalidRequestContent', message: problems.join('; ') } });
      case 'pagerduty': return json(400, { status: 'invalid event', message: 'Event object is invalid', errors: problems });
      case 'opsgenie': return json(problems[0]?.startsWith('Authorization') ? 401 : 422, { message: problems.join('; '), took: 0.001, requestId: 'x' });
      case 'webhook': return { status: 401, body: 'bad signature' };
    }
  }
  switch (kind) {
    case 'slack': return { status: 200, headers: { 'content-type': 'text/html' }, body: 'ok' };
    case 'discord': return { status: 204 };
    case 'teams': return { status: 202 };
    case 'pagerduty': return json(202, { status: 'success', message: 'Event processed', dedup_key: (body as Json).dedup_key ?? 'generated' });
    case 'opsgenie': return json(202, { result: 'Request will be processed', took: 0.02, requestId: `r-${req.url?.length ?? 0}` });
    case 'webhook': return { status: 200, body: 'thanks' };
  }
}

export async function startReceiver(kind: ServiceKind, o: ReceiverOptions = {}): Promise<Receiver> {
  const received: Received[] = [];
  const queued: Answer[] = [];
  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      let body: unknown;
      try {
        body = JSON.parse(raw);
      } catch {
        body = undefined;
      }
      const problems = body === undefined ? ['body is not JSON'] : problemsOf(kind, req, raw, body, o);
      const i = queued.findIndex((a) => a.when === undefined || a.when.test(raw));
      const answer = (i >= 0 ? queued.splice(i, 1)[0] : undefined) ?? normal(kind, problems, req, body);
      const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, String(v)]));
      received.push({ at: Date.now(), method: req.method ?? '', path: req.url ?? '/', headers, raw, body, problems, status: answer.status });
      res.writeHead(answer.status, answer.headers ?? {});
      res.end(answer.body ?? '');
    });
  };
  let server: Server = createServer(handler);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  const close = (): Promise<void> => new Promise((r) => {
    server.closeAllConnections();
    server.close(() => r());
  });
  return {
    kind,
    url: `http://127.0.0.1:${port}`,
    received,
    queue: (...answers) => void queued.push(...answers),
    down: close,
    async up() {
      server = createServer(handler);
      await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
    },
    close: () => (server.listening ? close() : Promise.resolve()),
  };
}
