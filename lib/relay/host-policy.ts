/**
 * Which hosts a relay may speak for. A relay token is trust in the relay, not in each sender
 * behind it: without a list, anyone with the token can beat (or say goodbye) as any host,
 * including hosts that beat straight to SQS, and mute their alerts. `--hosts 'web-*,db-?'` or
 * `--hosts-file` narrows it to the site's own names.
 */

/** Whether the relay may speak for `hostname`. */
export type HostPolicy = (hostname: string) => boolean;

export const ANY_HOST: HostPolicy = () => true;

/**
 * Glob patterns, comma- or line-separated: `*` any run of characters, `?` one, everything else
 * itself (case-sensitive, as hostnames are stored). Lines starting with `#` are comments.
 * Hostnames have no path separators, so the two wildcards are all a pattern needs.
 */
export function parseHostPatterns(text: string): string[] {
  return text.split(/[,\n]/).map((p) => p.trim()).filter((p) => p !== '' && !p.startsWith('#'));
}

export function hostPolicy(patterns: readonly string[]): HostPolicy {
  const source = patterns.map((p) => [...p].map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.+^${}()|[\]\\]/g, '\\$&'))).join(''));
  const re = new RegExp(`^(?:${source.join('|')})$`, 'su');
  return (hostname) => re.test(hostname);
}
