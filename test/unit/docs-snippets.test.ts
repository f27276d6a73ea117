/**
 * Docs that run (issue 24): every fenced block of the README and docs/ says in its info string
 * which test runs it (`runs=<file>`) or why it is not run (`illustrative: <why>`), and the
 * blocks this file names are run here: the webhook receivers' signature checks of docs/ALERTS.md
 * (in Node and in Python) against dts's own signatures, and the cost commands.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { signature } from '../../lib/domain/channel/signature';
import { allSnippets, ROOT, snippetsRunBy, type Snippet } from '../support/snippets';

const HERE = 'test/unit/docs-snippets.test.ts';

describe('every block of the README and docs/', () => {
  const snippets = allSnippets();

  it('names its language, and the test that runs it or why it is not run', () => {
    expect(snippets.length).toBeGreaterThan(40);
    const unmarked = snippets.filter((s) => s.lang === '' || (s.runs === undefined) === (s.illustrative === undefined));
    expect(unmarked.map((s) => `${s.doc}:${s.line}`), 'blocks with no language, or not exactly one of runs=… and illustrative: …').toEqual([]);
  });

  it('is run by a test file that exists and reads it', () => {
    for (const s of snippets.filter((x) => x.runs !== undefined)) {
      const runner = path.join(ROOT, s.runs as string);
      expect(existsSync(runner), `${s.doc}:${s.line} names ${s.runs}`).toBe(true);
      const text = readFileSync(runner, 'utf8');
      expect(text.includes(`snippetsRunBy(`) || text.includes(path.basename(s.doc)), `${s.runs} reads ${s.doc}`).toBe(true);
    }
  });
});

/** Node's verify(key, headers, rawBody) of docs/ALERTS.md, loaded as a module. */
async function nodeVerify(s: Snippet): Promise<(key: string, headers: Record<string, string>, body: string) => boolean> {
  const dir = mkdtempSync(path.join(tmpdir(), 'dts-snippet-'));
  try {
    const file = path.join(dir, 'verify.mjs');
    writeFileSync(file, `${s.code}\nexport { verify };\n`);
    return ((await import(pathToFileURL(file).href)) as { verify: (key: string, headers: Record<string, string>, body: string) => boolean }).verify;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Python's verify(key, headers, raw_body) of docs/ALERTS.md, run by /usr/bin/python3 (or python3). */
function pythonVerify(s: Snippet, key: string, headers: Record<string, string>, body: string): boolean {
  const python = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
  const program = `${s.code}\nimport json, sys\na = json.loads(sys.argv[1])\nprint(verify(a["key"].encode(), a["headers"], a["body"].encode()))\n`;
  const out = execFileSync(python, ['-c', program, JSON.stringify({ key, headers, body })], { encoding: 'utf8' });
  return out.trim() === 'True';
}

describe('the blocks run here', () => {
  const mine = snippetsRunBy(HERE);
  const key = 'whk_3f9c0a1b2d4e5f60718293a4b5c6d7e8';
  const body = JSON.stringify({ id: 'db-1|host-down|1796495580000', hostname: 'db-1', message: 'db-1 is down: no beat for 4m' });

  it('are the two receivers and the cost command, each run below', () => {
    expect(mine.map((s) => `${s.doc} ${s.lang}`).sort()).toEqual(['docs/ALERTS.md js', 'docs/ALERTS.md python', 'docs/CHECKS.md sh']);
  });

  it.each(['js', 'python'])('docs/ALERTS.md\'s %s receiver accepts what dts signs, and refuses a changed body, a wrong key and a stale timestamp', async (lang) => {
    const s = mine.find((x) => x.doc === 'docs/ALERTS.md' && x.lang === lang) as Snippet;
    const node = lang === 'js' ? await nodeVerify(s) : undefined;
    const verify = (k: string, headers: Record<string, string>, b: string) => (node ? node(k, headers, b) : pythonVerify(s, k, headers, b));
    const now = String(Math.floor(Date.now() / 1000));
    // Node's http lower-cases header names; Python's frameworks keep them as sent.
    const headersAt = (ts: string, sig: string): Record<string, string> => (lang === 'js' ? { 'x-dts-timestamp': ts, 'x-dts-signature': sig } : { 'X-Dts-Timestamp': ts, 'X-Dts-Signature': sig });
    expect(verify(key, headersAt(now, signature(key, now, body)), body)).toBe(true);
    expect(verify(key, headersAt(now, signature(key, now, body)), body.replace('4m', '5m'))).toBe(false);
    expect(verify('whk_other', headersAt(now, signature(key, now, body)), body)).toBe(false);
    const stale = String(Number(now) - 600);
    expect(verify(key, headersAt(stale, signature(key, stale, body)), body)).toBe(false);
  }, 30_000);

  it('docs/CHECKS.md\'s cost command prints a price per check', () => {
    const s = mine.find((x) => x.doc === 'docs/CHECKS.md') as Snippet;
    // The figures it records go to a directory of the test's own, not over bench/results/.
    const results = mkdtempSync(path.join(tmpdir(), 'dts-cost-'));
    const run = spawnSync('bash', ['-euo', 'pipefail', '-c', s.code], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', DTS_BENCH_RESULTS_DIR: results } });
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/per check: \$[0-9.]+\/month/);
    expect(JSON.parse(readFileSync(path.join(results, 'cost-checks.json'), 'utf8')).command).toBe('npm run cost -- --checks 10000 --every 1h');
    rmSync(results, { recursive: true, force: true });
  }, 60_000);
});
