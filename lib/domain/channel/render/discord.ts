import { jsonRequest, type Renderer } from './request';
import { clip, viewOf } from './view';

/**
 * Discord renders markdown in an embed's title, description and fields (not in its footer): a
 * name such as `[login](https://evil.example)` would be a masked link, `# big` a heading, `- x`
 * a list, `<@123>` a mention's pill. Each marker gets its backslash, which Discord shows as the
 * character itself; `-` and `1.` only at a line's start, where they open a list.
 */
const esc = (t: string): string => t
  .replace(/[\\*_~`|>[\]<#]/g, '\\$&')
  .replace(/^([ \t]*)([-+])(?=[ \t]|$)/gm, '$1\\$2')
  .replace(/^([ \t]*\d{1,9})([.)])(?=[ \t]|$)/gm, '$1\\$2');

/**
 * A Discord webhook with one embed (https://discord.com/developers/docs/resources/webhook):
 * title 256, description 4096, up to 25 fields of name 256 and value 1024. Mentions are
 * disabled, so a hostname such as `@everyone` pings no one.
 */
export const renderDiscord: Renderer = (n, secret) => {
  const v = viewOf(n);
  return jsonRequest(secret.url, {
    username: 'dts',
    allowed_mentions: { parse: [] },
    embeds: [{
      title: clip(esc(v.title), 256),
      description: clip([...(v.longer ? [v.message] : []), ...(v.next ? [v.next] : [])].map(esc).join('\n\n') || esc(v.message), 4096),
      color: Number.parseInt(v.color.slice(1), 16),
      timestamp: v.at,
      fields: v.facts.slice(0, 25).map(([name, value]) => ({ name: clip(esc(name), 256), value: clip(esc(value), 1024), inline: value.length <= 40 })),
      footer: { text: clip(v.footer, 2048) },
    }],
  });
};
