'use strict';
/* global module */
/**
 * Alert subscriptions from serverless.yml params, as CloudFormation resources:
 *
 *   alertEmails         comma-separated addresses
 *   alertEmailFilter    an SNS filter policy (JSON) for each of them, e.g. {"severity":["critical"]}
 *   alertWebhooks       comma-separated https:// URLs (chat webhooks, incident tools)
 *   alertWebhookFilter  a filter policy for each of them
 *   alertSubscriptions  a JSON list for a filter per subscription:
 *                       [{"endpoint": "dba@example.com", "filter": {"label.role": ["db"]}},
 *                        {"endpoint": "https://relay.example.com/chat"}]
 *                       (the protocol follows from the endpoint: https:// or an email address)
 *
 * CloudFormation cannot loop over a list, so this file makes one AWS::SNS::Subscription per
 * address when the template is packaged. With no params set it makes none.
 */
const split = (text) => String(text ?? '').split(',').map((s) => s.trim()).filter(Boolean);

function filterPolicy(text, name) {
  const raw = String(text ?? '').trim();
  if (raw === '') return undefined;
  try {
    const policy = JSON.parse(raw);
    if (policy === null || typeof policy !== 'object' || Array.isArray(policy)) throw new Error('not an object');
    return policy;
  } catch (e) {
    throw new Error(`param ${name} must be an SNS filter policy as a JSON object: ${e.message}`, { cause: e });
  }
}

function subscriptionList(text) {
  const raw = String(text ?? '').trim();
  if (raw === '') return [];
  let list;
  try {
    list = JSON.parse(raw);
  } catch (e) {
    throw new Error(`param alertSubscriptions must be a JSON list: ${e.message}`, { cause: e });
  }
  if (!Array.isArray(list) || !list.every((x) => x && typeof x === 'object' && typeof x.endpoint === 'string')) {
    throw new Error('param alertSubscriptions must be a JSON list of {"endpoint": "...", "filter": {...}}');
  }
  return list;
}

function logicalId(prefix, endpoint, i) {
  return `${prefix}${i + 1}${endpoint.replace(/[^A-Za-z0-9]/g, '').slice(0, 40)}`;
}

async function resources({ resolveVariable }) {
  // Errors propagate: the framework retries a variable that is not resolvable yet (params are).
  const param = async (name) => (await resolveVariable(`param:${name}, ''`)) ?? '';
  const out = {};
  const add = (prefix, protocol, endpoints, policy) => endpoints.forEach((endpoint, i) => {
    if (protocol === 'https' && !/^https:\/\//.test(endpoint)) throw new Error(`alertWebhooks: ${endpoint} is not an https:// URL`);
    if (protocol === 'email' && !/^[^@\s]+@[^@\s]+$/.test(endpoint)) throw new Error(`alertEmails: ${endpoint} is not an email address`);
    out[logicalId(prefix, endpoint, i)] = {
      Type: 'AWS::SNS::Subscription',
      Properties: {
        TopicArn: { Ref: 'AlertsTopic' },
        Protocol: protocol,
        Endpoint: endpoint,
        ...(policy ? { FilterPolicyScope: 'MessageAttributes', FilterPolicy: policy } : {}),
      },
    };
  });
  add('AlertEmail', 'email', split(await param('alertEmails')), filterPolicy(await param('alertEmailFilter'), 'alertEmailFilter'));
  add('AlertWebhook', 'https', split(await param('alertWebhooks')), filterPolicy(await param('alertWebhookFilter'), 'alertWebhookFilter'));
  for (const [i, sub] of subscriptionList(await param('alertSubscriptions')).entries()) {
    const protocol = /^https:\/\//.test(sub.endpoint) ? 'https' : 'email';
    const policy = sub.filter === undefined ? undefined : filterPolicy(JSON.stringify(sub.filter), `alertSubscriptions[${i}].filter`);
    add(`AlertSubscription${i + 1}x`, protocol, [sub.endpoint], policy);
  }
  return out;
}

module.exports = { resources };
