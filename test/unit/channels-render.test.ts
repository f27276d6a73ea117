/**
 * Every kind of notification, rendered for every channel, against a reviewed sample: a change
 * in wording or layout shows in the diff of test/unit/samples/*. Each rendering is also checked
 * against what its service accepts (test/support/receivers.ts).
 */
import { describe, expect, it } from 'vitest';
import { CHANNEL_KINDS, type ChannelKind } from '../../lib/domain/channel/channel';
import { RENDERERS } from '../../lib/domain/channel/render';
import { bodyOf, subjectOf } from '../../lib/domain/notification/text';
import { discordProblems, opsgenieProblems, pagerDutyProblems, slackProblems, teamsProblems } from '../support/receivers';
import { sampleNotifications, T0 } from '../support/sample-notifications';

const KEY = 'R0UT1NGKEY0123456789abcdefABCDEF';
const SECRETS: Record<ChannelKind, { url: string; key?: string }> = {
  slack: { url: 'https://hooks.slack.com/services/T000/B000/XXXX' },
  discord: { url: 'https://discord.com/api/webhooks/1/XXXX' },
  teams: { url: 'https://prod-00.westeurope.logic.azure.com/workflows/XXXX' },
  pagerduty: { url: 'https://events.pagerduty.com/v2/enqueue', key: KEY },
  opsgenie: { url: 'https://api.opsgenie.com', key: 'opsgenie-key' },
  webhook: { url: 'https://hooks.example.com/dts', key: 'signing-key' },
};

function problems(kind: ChannelKind, url: string, headers: Record<string, string>, body: unknown): string[] {
  switch (kind) {
    case 'slack': return slackProblems(body);
    case 'discord': return discordProblems(body);
    case 'teams': return teamsProblems(body);
    case 'pagerduty': return pagerDutyProblems(body, KEY);
    case 'opsgenie': return opsgenieProblems(new URL(url).pathname + new URL(url).search, body, headers.authorization, 'opsgenie-key');
    case 'webhook': return [];
  }
}

const samples = sampleNotifications();

describe('rendered alerts', () => {
  for (const channel of CHANNEL_KINDS) {
    it(`${channel}: every kind matches its reviewed sample and what the service accepts`, async () => {
      const out: Record<string, unknown> = {};
      for (const [kind, n] of Object.entries(samples)) {
        const req = RENDERERS[channel](n, SECRETS[channel], T0 + 60_000);
        if (!req) {
          out[kind] = null;
          continue;
        }
        const body = JSON.parse(req.body) as unknown;
        expect(problems(channel, req.url, req.headers, body), `${channel} ${kind}`).toEqual([]);
        out[kind] = { url: req.url, headers: req.headers, body };
      }
      await expect(JSON.stringify(out, null, 2) + '\n').toMatchFileSnapshot(`samples/${channel}.json`);
    });
  }

  it('email (SNS): every kind matches its reviewed sample', async () => {
    const text = Object.entries(samples).map(([kind, n]) => `==== ${kind}\nSubject: ${subjectOf(n)}\n\n${bodyOf(n)}\n`).join('\n');
    await expect(text).toMatchFileSnapshot('samples/email.txt');
  });

  it('no body shows a key glued to its value, such as limitSeconds:15', () => {
    for (const n of Object.values(samples)) {
      expect(bodyOf(n)).not.toMatch(/^[A-Za-z]+:\S/m);
      for (const channel of CHANNEL_KINDS) {
        const req = RENDERERS[channel](n, SECRETS[channel], T0);
        if (channel !== 'webhook') expect(req?.body ?? '').not.toMatch(/limitSeconds|outageStart|downtimeSeconds/);
      }
    }
  });

  it('pagers take incidents and leave notices (a first beat, new hosts, a storm\'s progress) to chat', () => {
    for (const channel of ['pagerduty', 'opsgenie'] as const) {
      for (const kind of ['host-up', 'host-left', 'fleet-new-hosts', 'fleet-storm-recovering'] as const) {
        expect(RENDERERS[channel](samples[kind], SECRETS[channel], T0), `${channel} ${kind}`).toBeUndefined();
      }
    }
  });

  it('PagerDuty triggers a down and resolves its recovery with the same dedup_key', () => {
    const trigger = JSON.parse(RENDERERS.pagerduty(samples['host-down'], SECRETS.pagerduty, T0)?.body ?? '{}') as Record<string, unknown>;
    const resolve = JSON.parse(RENDERERS.pagerduty(samples['host-recovered'], SECRETS.pagerduty, T0)?.body ?? '{}') as Record<string, unknown>;
    expect(trigger.event_action).toBe('trigger');
    expect(resolve.event_action).toBe('resolve');
    expect(resolve.dedup_key).toBe(trigger.dedup_key);
  });

  it('Opsgenie creates with the incident as alias and closes by it', () => {
    const create = RENDERERS.opsgenie(samples['resource-critical'], SECRETS.opsgenie, T0);
    const close = RENDERERS.opsgenie(samples['resource-ok'], SECRETS.opsgenie, T0);
    const alias = (JSON.parse(create?.body ?? '{}') as { alias: string }).alias;
    expect(alias).toBe('db-1/disk');
    expect(close?.url).toBe(`https://api.opsgenie.com/v2/alerts/${encodeURIComponent(alias)}/close?identifierType=alias`);
  });
});
