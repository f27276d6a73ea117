/**
 * What status page views cost: each is an API Gateway HTTP API request, a Lambda invocation of
 * the api function, one eventually consistent GetItem of the page item, and the bytes sent. The
 * page item and the answers are built by the product's own code (lib/domain/status) for a page
 * with a full 90 days of history, so their sizes are the real ones.
 */
import { gzipSync } from 'node:zlib';
import { computePage, definePage, parseGroup, type PageDef, type PageState } from '../../lib/domain/status/page';
import { renderBadgeSvg, renderStatusHtml } from '../../lib/domain/status/render';
import { publicView } from '../../lib/domain/status/view';
import type { Line, Prices } from './model';

export interface StatusPrices {
  readonly apiGateway: { readonly httpApiRequestsPerMillion: number; readonly dataTransferOutPerGb: number };
}

export interface StatusViewsEstimate {
  readonly lines: readonly Line[];
  readonly total: number;
  readonly perMillion: number;
  readonly pageItemBytes: number;
  readonly readUnitsPerView: number;
  readonly answerBytes: { readonly html: number; readonly htmlGzip: number; readonly json: number; readonly badge: number };
}

const DAY = 86_400_000;

/** A page of `groups` groups of `members` hosts each, with 89 finished days and a few incidents. */
export function samplePage(groups: number, members = 10, now = Date.parse('2026-12-01T12:00:00Z')): { def: PageDef; state: PageState } {
  const def = definePage({
    slug: 'public', title: 'Acme Corporation status', showHosts: false, createdAt: now - 90 * DAY,
    groups: Array.from({ length: groups }, (_, i) => parseGroup(`Service group ${i + 1}=role=service-${i + 1}`) as never),
  }) as PageDef;
  const hosts = Array.from({ length: groups * members }, (_, i) => ({ kind: 'host' as const, name: `h${i}`, labels: { role: `service-${Math.floor(i / members) + 1}` }, up: i % 17 !== 0 }));
  let state = computePage(def, undefined, hosts.map((h) => ({ ...h, up: true })), [], now - 90 * DAY).state;
  // A day at a time, with an incident now and then: the history a 90-day-old page carries.
  for (let d = 89; d >= 0; d--) state = computePage(def, state, d % 9 === 0 ? hosts : hosts.map((h) => ({ ...h, up: true })), [], now - d * DAY).state;
  return { def, state };
}

/** The page item's bytes as DynamoDB counts them: attribute names and values. */
export function pageItemBytes(def: PageDef, state: PageState): number {
  const attrs: Record<string, string> = { pk: 'PAGE', sk: def.slug, def: JSON.stringify(def), state: JSON.stringify(state), version: '123456' };
  return Object.entries(attrs).reduce((n, [k, v]) => n + Buffer.byteLength(k) + Buffer.byteLength(v), 0);
}

export function statusViewsEstimate(
  views: number, groups: number, prices: Prices & StatusPrices,
  lambda: { memoryMb: number; msPerView: number },
): StatusViewsEstimate {
  const { def, state } = samplePage(groups);
  const itemBytes = pageItemBytes(def, state);
  // An eventually consistent read: half a unit per 4 KB.
  const readUnitsPerView = Math.ceil(itemBytes / 4096) / 2;
  const view = publicView(def, state, Date.parse('2026-12-01T12:00:00Z'));
  const html = renderStatusHtml(view);
  const answerBytes = {
    html: Buffer.byteLength(html),
    // What a browser gets: it asks for gzip, and the api function gives it (lib/api/routes/status.ts).
    htmlGzip: gzipSync(html).length,
    json: Buffer.byteLength(JSON.stringify(view)),
    badge: Buffer.byteLength(renderBadgeSvg(view.groups[0] as never)),
  };
  const a = prices.apiGateway;
  const l = prices.aws.lambda;
  const gbSeconds = views * (lambda.memoryMb / 1024) * (lambda.msPerView / 1000);
  const rru = views * readUnitsPerView;
  const gbOut = (views * answerBytes.htmlGzip) / 1024 ** 3;
  const lines: Line[] = [
    { service: 'API Gateway', item: 'HTTP API requests (one per view)', quantity: views, unit: 'requests', dollars: (views / 1e6) * a.httpApiRequestsPerMillion },
    { service: 'Lambda', item: 'api function requests', quantity: views, unit: 'invocations', dollars: (views / 1e6) * l.requestsPerMillion },
    { service: 'Lambda', item: `api function duration, arm64 ${lambda.memoryMb} MB, ${lambda.msPerView} ms a view`, quantity: gbSeconds, unit: 'GB-s', dollars: gbSeconds * l.arm64GbSecond },
    { service: 'DynamoDB', item: `GetItem of the page item (${itemBytes} B, eventually consistent: ${readUnitsPerView} RRU)`, quantity: rru, unit: 'RRU', dollars: (rru / 1e6) * prices.aws.dynamodb.onDemandReadRequestUnitsPerMillion },
    { service: 'API Gateway', item: `data out: the HTML page, gzipped (${answerBytes.htmlGzip} B of ${answerBytes.html} B), no free tier counted`, quantity: gbOut, unit: 'GB', dollars: gbOut * a.dataTransferOutPerGb },
  ];
  const total = lines.reduce((s, x) => s + x.dollars, 0);
  return { lines, total, perMillion: (total / Math.max(1, views)) * 1e6, pageItemBytes: itemBytes, readUnitsPerView, answerBytes };
}
