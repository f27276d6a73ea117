import { jsonRequest, type Renderer } from './request';
import { clip, viewOf } from './view';

/** Slack's mrkdwn reserves &, < and > (https://api.slack.com/reference/surfaces/formatting#escaping). */
const esc = (t: string): string => t.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/**
 * A Slack incoming webhook with Block Kit: a header, the sentence, up to 10 fields, the next
 * step and a context line. `text` is the fallback shown in notifications. Limits: header 150
 * characters, section text 3000, 10 fields of 2000.
 */
export const renderSlack: Renderer = (n, secret) => {
  const v = viewOf(n);
  return jsonRequest(secret.url, {
    // The fallback is mrkdwn too: a hostname `<!channel>` must not notify a whole channel.
    text: clip(`${v.mark} ${esc(v.message)}`, 3000),
    blocks: [
      { type: 'header', text: { type: 'plain_text', text: clip(v.title, 150), emoji: true } },
      {
        type: 'section',
        text: { type: 'mrkdwn', text: clip(esc(v.message), 3000) },
        fields: v.facts.slice(0, 10).map(([label, value]) => ({ type: 'mrkdwn', text: clip(`*${esc(label)}*\n${esc(value)}`, 2000) })),
      },
      ...(v.next ? [{ type: 'section', text: { type: 'mrkdwn', text: clip(esc(v.next), 3000) } }] : []),
      { type: 'context', elements: [{ type: 'mrkdwn', text: clip(esc(v.footer), 3000) }] },
    ],
  });
};
