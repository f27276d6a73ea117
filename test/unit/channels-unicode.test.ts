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
// With a URL policy, as the notifier sends: through its own transport (checked-fetch.ts).
const fast: SendOptions = { attempts: 1, baseDelayMs: 1, maxWaitMs: 1, timeoutMs: 5000, sleep: async () => {}, urlPolicy: { allowLoopback: true } };
const receivers = new Map<ChannelKind, Receiver>();

beforeAll(async () => {
  for (const kind of CHANNEL_KINDS) receivers.set(kind, await startReceiver(kind, { key: KEY }));
});
afterAll(async () => {
  for (const r of receivers.values()) await r.close();
});

const REVIEW_NAMES = ['服务器-1', 'узел-1', 'good\u202Eexe.txt', 'خادم-١', '🔥-web', '%D1%83', 'a b'];
/** Names that are markup in Slack's mrkdwn, Discord's or Teams' markdown. */
const HOSTILE_NAMES = ['*bold*', '**strong**', '_under_', '[link](http://x)', '<at>ops</at>', '`code`', '# big', '- item', '1. item', '~~gone~~', '<!channel>', 'a&amp;b', '\\*', '|| spoiler ||', '> quote'];
const MARKUP = [...'\\*_[]()<>&#`~|!=-+. 1'];
/** A name of 1-63 code points from anywhere in Unicode, as the wire allows (no empty name), often with markup in it. */
const anyName = fc.oneof(
  fc.string({ unit: 'binary', minLength: 1, maxLength: 63 }),
  fc.string({ unit: fc.oneof(fc.constantFrom(...MARKUP), fc.string({ unit: 'binary', minLength: 1, maxLength: 1 })), minLength: 1, maxLength: 40 }),
);

/** CommonMark's backslash escape (any ASCII punctuation), as Discord and Teams read it. */
const unescapeMarkdown = (t: string): string => t.replace(/\\([!-/:-@[-`{-~])/g, '$1');
/**
 * Markup left without its backslash: characters that open it wherever they stand, and a list's
 * `- `, `+ ` or `1. ` at a line's start.
 */
const bareMarker = (t: string, markers: RegExp): string | undefined => {
  const bare = t.replace(/\\[!-/:-@[-`{-~]/g, '\0');
  return (bare.match(markers) ?? bare.match(/^[ \t]*(?:[-+]|\d{1,9}[.)])(?=[ \t]|$)/m))?.[0];
};
const unescapeSlack = (t: string): string => t.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');

/**
 * Every text a reader sees carries the name as it is, with its markup escaped: read back through
 * the service's escapes it is the name again, and no marker is left bare.
 */
function escapedAsTheServiceNeeds(kind: ChannelKind, body: unknown, hostname: string): void {
  const why = `${kind}: ${JSON.stringify(hostname)}`;
  if (kind === 'teams') {
    const card = (body as { attachments: Array<{ content: { body: Array<{ type: string; text?: string; facts?: Array<{ title: string; value: string }> }> } }> }).attachments[0]?.content;
    const texts = (card?.body ?? []).flatMap((e) => e.type === 'FactSet' ? (e.facts ?? []).flatMap((f) => [f.title, f.value]) : [e.text ?? '']);
    for (const t of texts) expect(bareMarker(t, /[\\*_[\]<>&#`~|]/), why).toBeUndefined();
    const host = card?.body.find((e) => e.type === 'FactSet')?.facts?.find((f) => f.title === 'Host')?.value ?? '';
    expect(unescapeMarkdown(host), why).toBe(hostname);
  } else if (kind === 'discord') {
    const embed = (body as { embeds: Array<{ title: string; description: string; fields: Array<{ name: string; value: string }> }> }).embeds[0];
    for (const t of [embed?.title ?? '', embed?.description ?? '', ...(embed?.fields ?? []).flatMap((f) => [f.name, f.value])]) {
      expect(bareMarker(t, /[\\*_[\]<>#`~|]/), why).toBeUndefined();
    }
    const host = embed?.fields.find((f) => f.name === 'Host')?.value ?? '';
    if (host.length < 1024) expect(unescapeMarkdown(host), why).toBe(hostname);
  } else if (kind === 'slack') {
    const b = body as { text: string; blocks: Array<{ type: string; text?: { type: string; text: string }; fields?: Array<{ text: string }>; elements?: Array<{ text: string }> }> };
    const mrkdwn = [b.text, ...b.blocks.flatMap((bl) => [...(bl.text?.type === 'mrkdwn' ? [bl.text.text] : []), ...(bl.fields ?? []).map((f) => f.text), ...(bl.elements ?? []).map((e) => e.text)])];
    for (const t of mrkdwn) expect(t.replace(/&(lt|gt|amp);/g, ''), why).not.toMatch(/[<>&]/);
    const host = b.blocks.flatMap((bl) => bl.fields ?? []).find((f) => f.text.startsWith('*Host*\n'))?.text.slice('*Host*\n'.length) ?? '';
    if (host.length < 1990) expect(unescapeSlack(host), why).toBe(hostname);
  }
}

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
  escapedAsTheServiceNeeds(kind, got?.body, hostname);
  if (kind === 'webhook') {
    expect((got?.body as { hostname: string }).hostname).toBe(hostname);
    expect(decodeURIComponent(got?.headers['x-dts-delivery'] ?? '')).toBe(n.id.replace(/\p{Cs}/gu, '\uFFFD'));
  }
}

describe.each(CHANNEL_KINDS.map((k) => [k]))('%s', (kind) => {
  it.each(REVIEW_NAMES.map((n) => [n]))('delivers about %s', async (name) => delivers(kind, name));
  it.each(HOSTILE_NAMES.map((n) => [n]))('delivers about %s, its markup escaped', async (name) => delivers(kind, name));

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

describe('Teams\' markdown', () => {
  it('is escaped in every TextBlock and fact: a host named as a link links nowhere, a cron is not italics', () => {
    const name = '[login](https://evil.example)';
    const n = notification(name, 'host-down', 'critical', T0, `${name} is down: no beat for 3m`, { schedule: 'cron "0 2 * * *"', owner: '<at>ops</at> # _on call_' });
    const body = JSON.parse(RENDERERS.teams(n, { url: 'https://prod-00.westeurope.logic.azure.com/workflows/x' }, T0)?.body ?? '{}') as { attachments: Array<{ content: { body: Array<{ text?: string; facts?: Array<{ title: string; value: string }> }> } }> };
    const [title, message, facts] = body.attachments[0]?.content.body ?? [];
    expect(title?.text).toBe('🔴 \\[login\\](https://evil.example) is down');
    expect(message?.text).toBe('\\[login\\](https://evil.example) is down: no beat for 3m');
    expect(facts?.facts).toEqual(expect.arrayContaining([
      { title: 'Host', value: '\\[login\\](https://evil.example)' },
      { title: 'Schedule', value: 'cron "0 2 \\* \\* \\*"' },
      { title: 'Owner', value: '\\<at\\>ops\\</at\\> \\# \\_on call\\_' },
    ]));
  });
});

describe('a clipped markdown text', () => {
  it('never ends in half an escape', () => {
    // `🔴 a` and then `\*` pairs: the cut at 255 falls between a backslash and its star.
    const name = `a${'*'.repeat(200)}`;
    const n = notification(name, 'host-down', 'critical', T0, `${name} is down`, {});
    const body = JSON.parse(RENDERERS.discord(n, { url: 'https://discord.com/api/webhooks/1/x' }, T0)?.body ?? '{}') as { embeds: Array<{ title: string }> };
    const title = body.embeds[0]?.title ?? '';
    expect(title.length).toBeLessThanOrEqual(256);
    expect(title).toMatch(/(^|[^\\])(\\\\)*…$/);
  });
});
