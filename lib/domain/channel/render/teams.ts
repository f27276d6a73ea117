import { jsonRequest, type Renderer } from './request';
import { viewOf } from './view';

const TEXT_COLOR = { critical: 'Attention', warning: 'Warning', info: 'Accent' } as const;

/**
 * Teams reads a TextBlock's text and a fact's title and value as Markdown (learn.microsoft.com,
 * "Format cards in Teams"): **bold**, _italic_, `*italic*` on some clients, `- ` and `1. ` lists
 * at a line's start, [links](url), and on the desktop CommonMark's entities and autolinks
 * (`&lt;`, `<https://…>`). A name such as `[login](https://evil.example)` or a cron `0 2 * * *`
 * would become a link or italics. Each marker gets CommonMark's backslash escape, which every
 * Teams client (desktop, web, and mobile since 2024) shows as the character itself; `-`, `+`,
 * `=` and `1.` only where they open a list, a rule or a heading, at a line's start, so `web-1`
 * reads as it is.
 */
const escapeTeams = (t: string): string => t
  .replace(/[\\*_~`[\]<>&#|]/g, '\\$&')
  .replace(/^([ \t]*)([-+=])(?=[ \t=-]|$)/gm, '$1\\$2')
  .replace(/^([ \t]*\d{1,9})([.)])(?=[ \t]|$)/gm, '$1\\$2');

/**
 * A Microsoft Teams Workflows webhook ("Post to a channel when a webhook request is received"):
 * a message whose one attachment is an Adaptive Card 1.4 with the title, the sentence, a
 * FactSet and the next step. Every text is escaped (`escapeTeams`).
 */
export const renderTeams: Renderer = (n, secret) => {
  const v = viewOf(n);
  const esc = escapeTeams;
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
          { type: 'TextBlock', text: esc(v.title), weight: 'Bolder', size: 'Medium', wrap: true, color: v.action === 'close' ? 'Good' : TEXT_COLOR[v.severity] },
          ...(v.longer ? [{ type: 'TextBlock', text: esc(v.message), wrap: true }] : []),
          { type: 'FactSet', facts: v.facts.map(([title, value]) => ({ title: esc(title), value: esc(value) })) },
          ...(v.next ? [{ type: 'TextBlock', text: esc(v.next), wrap: true, isSubtle: true }] : []),
          { type: 'TextBlock', text: esc(v.footer), wrap: true, isSubtle: true, size: 'Small' },
        ],
      },
    }],
  });
};
