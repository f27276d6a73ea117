import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';

/** deploy/subscriptions.cjs: the alert* params of serverless.yml → AWS::SNS::Subscription resources. */
const { resources } = createRequire(import.meta.url)('../../deploy/subscriptions.cjs') as {
  resources(ctx: { resolveVariable(v: string): Promise<unknown> }): Promise<Record<string, { Type: string; Properties: Record<string, unknown> }>>;
};

function params(values: Record<string, string>) {
  return {
    async resolveVariable(v: string) {
      const m = /^param:(\w+), ''$/.exec(v);
      if (!m) throw new Error(`unexpected variable ${v}`);
      return values[m[1] as string] ?? '';
    },
  };
}

describe('alert subscriptions from params', () => {
  it('none by default', async () => {
    expect(await resources(params({}))).toEqual({});
  });

  it('one subscription per address, each with its kind\'s filter policy on the message attributes', async () => {
    const out = await resources(params({
      alertEmails: 'oncall@example.com, dba@example.com',
      alertEmailFilter: '{"severity":["critical"]}',
      alertWebhooks: 'https://relay.example.com/dts',
    }));
    expect(Object.values(out)).toEqual([
      { Type: 'AWS::SNS::Subscription', Properties: { TopicArn: { Ref: 'AlertsTopic' }, Protocol: 'email', Endpoint: 'oncall@example.com', FilterPolicyScope: 'MessageAttributes', FilterPolicy: { severity: ['critical'] } } },
      { Type: 'AWS::SNS::Subscription', Properties: { TopicArn: { Ref: 'AlertsTopic' }, Protocol: 'email', Endpoint: 'dba@example.com', FilterPolicyScope: 'MessageAttributes', FilterPolicy: { severity: ['critical'] } } },
      { Type: 'AWS::SNS::Subscription', Properties: { TopicArn: { Ref: 'AlertsTopic' }, Protocol: 'https', Endpoint: 'https://relay.example.com/dts' } },
    ]);
    expect(Object.keys(out).every((id) => /^[A-Za-z0-9]+$/.test(id))).toBe(true);
  });

  it('a filter per subscription from alertSubscriptions, the protocol following from the endpoint', async () => {
    const out = await resources(params({
      alertSubscriptions: JSON.stringify([
        { endpoint: 'dba@example.com', filter: { 'label.role': ['db'] } },
        { endpoint: 'https://relay.example.com/chat', filter: { severity: ['critical', 'warning'] } },
      ]),
    }));
    expect(Object.values(out).map((r) => [r.Properties.Protocol, r.Properties.Endpoint, r.Properties.FilterPolicy])).toEqual([
      ['email', 'dba@example.com', { 'label.role': ['db'] }],
      ['https', 'https://relay.example.com/chat', { severity: ['critical', 'warning'] }],
    ]);
    expect(Object.keys(out).every((id) => /^[A-Za-z0-9]+$/.test(id))).toBe(true);
    await expect(resources(params({ alertSubscriptions: '{"endpoint":"x@y.z"}' }))).rejects.toThrow(/JSON list of/);
  });

  it('refuses a filter that is not a JSON object, a webhook that is not https, an address that is not one', async () => {
    await expect(resources(params({ alertEmails: 'a@b.c', alertEmailFilter: '["critical"]' }))).rejects.toThrow(/alertEmailFilter must be an SNS filter policy/);
    await expect(resources(params({ alertWebhooks: 'http://plain.example.com' }))).rejects.toThrow(/not an https:\/\/ URL/);
    await expect(resources(params({ alertEmails: 'oncall' }))).rejects.toThrow(/not an email address/);
  });
});
