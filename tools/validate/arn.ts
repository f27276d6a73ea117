/**
 * Whether an ARN written in a policy can name a resource of a given IAM resource type. The policy
 * side may hold the wildcards `*` and `?`; the type's ARN format (Service Authorization
 * Reference, `arn:${Partition}:dynamodb:${Region}:${Account}:table/${TableName}`) holds
 * variables. Both are regular languages, so "some ARN fits both" is a reachability question on
 * their product, answered exactly rather than by guessing at sample names.
 */

type Token = { kind: 'char'; c: string } | { kind: 'any' } | { kind: 'star' };

/** A policy ARN: `*` is any run of characters, `?` one character. */
function globTokens(glob: string): Token[] {
  return [...glob].map((c): Token => (c === '*' ? { kind: 'star' } : c === '?' ? { kind: 'any' } : { kind: 'char', c }));
}

/** An ARN format: each `${Var}` is one or more characters of any kind. */
function formatTokens(format: string): Token[] {
  const out: Token[] = [];
  for (const part of format.split(/(\$\{[^}]+\})/)) {
    if (part.startsWith('${')) out.push({ kind: 'any' }, { kind: 'star' });
    else for (const c of part) out.push({ kind: 'char', c });
  }
  return out;
}

function intersects(a: Token[], b: Token[]): boolean {
  const seen = new Set<number>();
  const stack: [number, number][] = [[0, 0]];
  const width = b.length + 1;
  while (stack.length > 0) {
    const [i, j] = stack.pop() as [number, number];
    if (seen.has(i * width + j)) continue;
    seen.add(i * width + j);
    if (i === a.length && j === b.length) return true;
    const x = a[i];
    const y = b[j];
    // A star may match nothing.
    if (x?.kind === 'star') stack.push([i + 1, j]);
    if (y?.kind === 'star') stack.push([i, j + 1]);
    if (x === undefined || y === undefined) continue;
    if (x.kind === 'char' && y.kind === 'char' && x.c !== y.c) continue;
    // Both consume one character; a star stays where it is.
    stack.push([x.kind === 'star' ? i : i + 1, y.kind === 'star' ? j : j + 1]);
  }
  return false;
}

/** True when some ARN is both matched by the policy's `arn` and of the form `format`. */
export function arnFitsFormat(arn: string, format: string): boolean {
  return intersects(globTokens(arn), formatTokens(format));
}

export const hasWildcard = (arn: string): boolean => /[*?]/.test(arn);

/** The literal characters of a format: the more it pins down, the more specific the type. */
export function formatSpecificity(format: string): number {
  return format.replace(/\$\{[^}]+\}/g, '').length;
}
