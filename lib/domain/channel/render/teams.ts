import { jsonRequest, type Renderer } from './request';
import { viewOf } from './view';

const TEXT_COLOR = { critical: 'Attention', warning: 'Warning', info: 'Accent' } as const;

/**
 * A Microsoft Teams Workflows webhook ("Post to a channel when a webhook request is received"):
 * a message whose one attachment is an Adaptive Card 1.4 with the title, the sentence, a
 * FactSet and the next step.
 */
export const renderTeams: Renderer = (n, secret) => {
  const v = viewOf(n);
  return jsonRequest(secret.url, {
    type: 'message',
    attachments: [{
      contentType: 'application/vnd.microsoft.card.adaptive',
      contentUrl: null,
      content: {
        $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
        type: 'AdaptiveCard',
        version: '1.4',
        msteams: { width: 'Full' },
        body: [
          { type: 'TextBlock', text: v.title, weight: 'Bolder', size: 'Medium', wrap: true, color: v.action === 'close' ? 'Good' : TEXT_COLOR[v.severity] },
          ...(v.longer ? [{ type: 'TextBlock', text: v.message, wrap: true }] : []),
          { type: 'FactSet', facts: v.facts.map(([title, value]) => ({ title, value })) },
          ...(v.next ? [{ type: 'TextBlock', text: v.next, wrap: true, isSubtle: true }] : []),
          { type: 'TextBlock', text: v.footer, wrap: true, isSubtle: true, size: 'Small' },
        ],
      },
    }],
  });
};
