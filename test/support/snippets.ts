import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

/**
 * The fenced blocks of the README and docs/ ("docs that run", issue 24). Every block's info
 * string says what it is: a language, then `runs=<test file>` (the test that executes it) or
 * `illustrative: <why it is not run>`. For example:
 *
 *     ```sh runs=test/e2e/docs.test.ts
 *     ```json illustrative: an example of what PagerDuty receives
 */
export interface Snippet {
  /** The document, relative to the repository root. */
  readonly doc: string;
  /** The line of its opening fence, 1-based. */
  readonly line: number;
  readonly lang: string;
  /** The test file that runs it, relative to the root. */
  readonly runs?: string;
  /** Why it is not run. */
  readonly illustrative?: string;
  readonly code: string;
}

export const ROOT = path.resolve(__dirname, '..', '..');

/** The documents whose blocks must run or say why not. */
export function documents(): string[] {
  const docs = readdirSync(path.join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).sort().map((f) => `docs/${f}`);
  return ['README.md', ...docs, 'clients/python/README.md'];
}

export function snippetsOf(doc: string): Snippet[] {
  const lines = readFileSync(path.join(ROOT, doc), 'utf8').split('\n');
  const out: Snippet[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^(`{3,}|~{3,})(.*)$/.exec(lines[i] as string);
    if (!open) continue;
    const fence = open[1] as string;
    const info = (open[2] as string).trim();
    let j = i + 1;
    while (j < lines.length && !(lines[j] as string).startsWith(fence)) j++;
    const [lang = '', ...rest] = info.split(/\s+/);
    const tail = rest.join(' ');
    const runs = /^runs=(\S+)$/.exec(tail)?.[1];
    const illustrative = /^illustrative:\s*(.+)$/.exec(tail)?.[1];
    out.push({ doc, line: i + 1, lang, code: lines.slice(i + 1, j).join('\n'), ...(runs ? { runs } : {}), ...(illustrative ? { illustrative } : {}) });
    i = j;
  }
  return out;
}

export function allSnippets(): Snippet[] {
  return documents().flatMap(snippetsOf);
}

/** The blocks a test says it runs. */
export function snippetsRunBy(testFile: string): Snippet[] {
  return allSnippets().filter((s) => s.runs === testFile);
}
