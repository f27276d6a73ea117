/**
 * Issue 20, finding 1: a host named in any script reaches every kind of channel. Names are drawn
 * by fast-check (any Unicode, bidi controls and astral characters included), rendered, and sent
 * for real to a loopback stand-in of each service, which checks the request as its service would.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sendWithRetry, type SendOptions } from '../../lib/adapters/http/send';
import { CHANNEL_KINDS, type ChannelKind } from '../../lib/domain/channel/channel';
import { RENDERERS } from '../../lib/domain/channel/render';
import { notification } from '../../lib/domain/notification/notifications';
import { startReceiver, type Receiver } from '../support/receivers';

const KEY = 'k'.repeat(32);
const T0 = Date.UTC(2026, 11, 1, 9, 30, 0);
const fast: SendOptions = { attempts: 1, baseDelayMs: 1, maxWaitMs: 1, timeoutMs: 5000, sleep: async () => {} };
const receivers = new Map<ChannelKind, Receiver>();

beforeAll(async () => {
  for (const kind of CHANNEL_KINDS) receivers.set(kind, await startReceiver(kind, { key: KEY }));
});
afterAll(async () => {
  for (const r of receivers.values()) await r.close();
});

const REVIEW_NAMES = ['服务器-1', 'узел-1', 'good\u202Eexe.txt', 'خادم-١', '🔥-web', '%D1%83', 'a b'];
/** A name of 1-63 code points from anywhere in Unicode, as the wire allows (no empty name). */
const anyName = fc.string({ unit: 'binary', minLength: 1, maxLength: 63 });

async function delivers(kind: ChannelKind, hostname: string): Promise<void> {
  const receiver = receivers.get(kind) as Receiver;
  const n = notification(hostname, 'host-down', 'critical', T0, `${hostname} is down: no beat for 3m`, { limitSeconds: '180' });
  const request = RENDERERS[kind](n, { url: receiver.url, key: KEY }, Date.now());
  if (!request) throw new Error(`${kind} rendered nothing for a down`);
  const before = receiver.received.length;
  const result = await sendWithRetry(request, fast);
  expect(result, `${kind}: ${JSON.stringify(hostname)}`).toMatchObject({ ok: true });
  const got = receiver.received[before];
  expect(got?.problems).toEqual([]);
  if (kind === 'webhook') {
    expect((got?.body as { hostname: string }).hostname).toBe(hostname);
    expect(decodeURIComponent(got?.headers['x-dts-delivery'] ?? '')).toBe(n.id.replace(/\p{Cs}/gu, '\uFFFD'));
  }
}

describe.each(CHANNEL_KINDS.map((k) => [k]))('%s', (kind) => {
  it.each(REVIEW_NAMES.map((n) => [n]))('delivers about %s', async (name) => delivers(kind, name));

  it('delivers about a host of any name', async () => {
    await fc.assert(fc.asyncProperty(anyName, (name) => delivers(kind, name)), { numRuns: 40 });
  });
});

describe('a request fetch cannot build', () => {
  it('is final and says which header, with no retry', async () => {
    let calls = 0;
    const result = await sendWithRetry({ url: 'http://127.0.0.1:9/x', headers: { 'x-dts-delivery': 'узел-1|host-down|1' }, body: '{}' }, {
      ...fast, attempts: 3, fetch: async () => { calls++; throw new TypeError('Cannot convert argument to a ByteString'); },
    });
    expect(result).toMatchObject({ ok: false, retryable: false, error: 'the request could not be built: header x-dts-delivery is not printable ASCII (a dts bug: report it)' });
    expect(calls).toBe(0);
  });

  it('is final when fetch itself refuses to build it', async () => {
    let calls = 0;
    const result = await sendWithRetry({ url: 'http://127.0.0.1:9/x', headers: {}, body: '{}' }, {
      ...fast, attempts: 3, fetch: async () => { calls++; throw new TypeError('Invalid header value'); },
    });
    expect(result).toMatchObject({ ok: false, retryable: false, error: 'the request could not be built: Invalid header value' });
    expect(calls).toBe(1);
  });
});

describe('Slack\'s fallback text', () => {
  it('is escaped like the blocks: a host named <!channel> notifies no one', () => {
    const n = notification('<!channel>', 'host-down', 'critical', T0, '<!channel> is down: no beat for 3m & more', {});
    const body = JSON.parse(RENDERERS.slack(n, { url: 'https://hooks.slack.com/services/T/B/x' }, T0)?.body ?? '{}') as { text: string };
    expect(body.text).toBe('🔴 &lt;!channel&gt; is down: no beat for 3m &amp; more');
  });
});

describe('Discord\'s markdown', () => {
  it('is escaped in the description and the fields: a host named as a masked link links nowhere', () => {
    const name = '[login](https://evil.example)';
    const n = notification(name, 'host-down', 'critical', T0, `${name} is down: no beat for 3m`, { limitSeconds: '180' });
    const body = JSON.parse(RENDERERS.discord(n, { url: 'https://discord.com/api/webhooks/1/x' }, T0)?.body ?? '{}') as { embeds: Array<{ description: string; fields: Array<{ value: string }> }> };
    const embed = body.embeds[0];
    expect(embed?.description).toContain('\\[login\\](https://evil.example) is down');
    expect(embed?.fields[0]?.value).toBe('\\[login\\](https://evil.example)');
    expect(JSON.stringify({ d: embed?.description, f: embed?.fields })).not.toMatch(/[^\\]\[login/);
  });
});
