import { createHash } from 'node:crypto';
import { jsonRequest, type Renderer } from './request';
import { clip, viewOf } from './view';

const PRIORITY = { critical: 'P1', warning: 'P3', info: 'P5' } as const;

/** Opsgenie aliases are at most 512 characters: a longer key is replaced by its digest. */
export function opsgenieAlias(key: string): string {
  return key.length <= 512 ? key : `dts-${createHash('sha256').update(key).digest('hex')}`;
}

/**
 * Opsgenie Alert API (https://docs.opsgenie.com/docs/alert-api): create with the incident key as
 * `alias` (so a repeat updates the open alert), close by that alias. `secret.url` is the API's
 * base (api.opsgenie.com, or api.eu.opsgenie.com), `secret.key` the integration's API key.
 */
export const renderOpsgenie: Renderer = (n, secret) => {
  const v = viewOf(n);
  if (v.action === 'none') return undefined;
  const base = secret.url.replace(/\/+$/, '');
  const alias = opsgenieAlias(n.incident ?? n.id);
  const auth = { authorization: `GenieKey ${secret.key ?? ''}` };
  if (v.action === 'close') {
    return jsonRequest(`${base}/v2/alerts/${encodeURIComponent(alias)}/close?identifierType=alias`, { source: 'dts', user: 'dts', note: clip(n.message, 25000) }, auth);
  }
  return jsonRequest(`${base}/v2/alerts`, {
    message: clip(n.message, 130),
    alias,
    description: clip([n.message, '', ...v.facts.map(([k, x]) => `${k}: ${x}`), ...(v.next ? ['', v.next] : [])].join('\n'), 15000),
    tags: [n.kind, n.severity, ...Object.entries(n.labels ?? {}).filter(([k]) => !k.startsWith('dts.')).map(([k, x]) => `${k}:${x}`)].map((t) => clip(t, 50)).slice(0, 20),
    details: Object.fromEntries(v.facts.map(([k, x]) => [k, clip(x, 8000)])),
    entity: clip(n.hostname, 512),
    source: 'dts',
    priority: PRIORITY[n.severity],
  }, auth);
};
