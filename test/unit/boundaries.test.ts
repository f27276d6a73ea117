/**
 * The folder boundaries that `npm run lint` enforces (eslint.config.js): an import planted in a
 * file of each folder, linted through ESLint's own API with the project's config, as `eslint .`
 * would lint a file at that path. The file never exists on disk.
 */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';
import { beforeAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
let eslint: ESLint;

beforeAll(() => {
  eslint = new ESLint({ cwd: ROOT });
});

/** What lint says about a file at `filePath` (from the repository's root) that holds `code`. */
async function lint(filePath: string, code: string): Promise<Array<{ ruleId: string | null; message: string }>> {
  const [result] = await eslint.lintText(code, { filePath });
  return (result?.messages ?? []).map(({ ruleId, message }) => ({ ruleId, message }));
}

const use = (specifier: string): string => `import { thing } from '${specifier}';\nexport const used = thing;\n`;

describe('the product imports nothing from tools/, bench/ or test/', () => {
  it.each([
    ['lib/api/planted.ts', '../../tools/local/cloud', 'tools/'],
    ['lib/app/planted.ts', '../../bench/support/measured', 'bench/'],
    ['functions/planted.ts', '../test/support/events', 'test/'],
    ['functions/commons/planted.ts', '../../tools/harness/cloud', 'tools/'],
    ['web/src/planted.ts', '../../test/support/then', 'test/'],
  ])('%s importing %s fails lint', async (file, specifier) => {
    const messages = await lint(file, use(specifier));
    expect(messages).toEqual([{ ruleId: 'no-restricted-imports', message: expect.stringMatching(/boundary: the product \(lib\/, functions\/, web\/\) imports nothing from tools\/, bench\/ or test\//) }]);
  });

  it('a type-only import is caught as well', async () => {
    const messages = await lint('lib/api/planted.ts', "import type { Fleet } from '../../tools/cost/model';\nexport type F = Fleet;\n");
    expect(messages.map((m) => m.ruleId)).toEqual(['no-restricted-imports']);
  });

  it('imports within the product pass', async () => {
    expect(await lint('lib/api/planted.ts', use('../app/log'))).toEqual([]);
    expect(await lint('functions/planted.ts', use('../lib/adapters/clients'))).toEqual([]);
  });
});

describe('the layers: domain pure, app on ports, adapters below app', () => {
  const rule = (message: RegExp) => [{ ruleId: 'no-restricted-imports', message: expect.stringMatching(message) }];
  it.each([
    ['lib/domain/host/planted.ts', '../../adapters/dynamodb/hosts', /lib\/domain is pure/],
    ['lib/domain/host/planted.ts', '../../app/outbox', /lib\/domain is pure/],
    ['lib/domain/channel/render/planted.ts', '../../../ports', /lib\/domain is pure/],
    ['lib/domain/planted.ts', '../config', /lib\/domain is pure/],
    ['lib/domain/fleet/planted.ts', '@aws-sdk/client-sqs', /no package but node:crypto/],
    ['lib/domain/fleet/planted.ts', 'node:fs', /no package but node:crypto/],
    // cron-parser is let in for a check's calendar, not the date library beneath it, nor its insides.
    ['lib/domain/check/planted.ts', 'luxon', /no package but node:crypto and cron-parser/],
    ['lib/domain/check/planted.ts', 'cron-parser/dist/CronDate', /no package but node:crypto and cron-parser/],
    ['lib/app/planted.ts', '../adapters/dynamodb/stats', /lib\/app takes ports/],
    ['lib/app/diagnose/planted.ts', '../../compose', /lib\/app takes ports/],
    ['lib/app/ingest/planted.ts', '@aws-sdk/client-dynamodb', /lib\/app never calls the AWS SDK/],
    ['lib/adapters/dynamodb/planted.ts', '../../app/diagnose/pass', /lib\/adapters implement ports/],
    ['lib/adapters/sqs/planted.ts', '../../compose', /lib\/adapters implement ports/],
  ])('%s importing %s fails lint', async (file, specifier, message) => {
    expect(await lint(file, use(specifier))).toEqual(rule(message));
  });

  it('each layer may import what lies beneath it', async () => {
    expect(await lint('lib/domain/host/planted.ts', `${use('../model')}import { y } from '../../wire/codec';\nimport { createHash } from 'node:crypto';\nexport const z = [y, createHash];\n`)).toEqual([]);
    expect(await lint('lib/domain/check/planted.ts', use('cron-parser'))).toEqual([]);
    expect(await lint('lib/app/planted.ts', `${use('../domain/host/liveness')}import type { HostsPort } from '../ports';\nexport type H = HostsPort;\n`)).toEqual([]);
    expect(await lint('lib/adapters/dynamodb/planted.ts', `${use('../../domain/model')}import type { HostsPort } from '../../ports';\nimport { x } from '@aws-sdk/lib-dynamodb';\nexport const y = [x];\nexport type H = HostsPort;\n`)).toEqual([]);
    expect(await lint('lib/compose.ts', use('./adapters/dynamodb/hosts'))).toEqual([]);
  });
});

describe('the import graph has no cycle (dependency-cruiser, in npm run lint)', () => {
  /** Cruise a planted tree of files with the project's rules, as `npm run lint` cruises lib/. */
  async function cruise(files: Record<string, string>): Promise<string[]> {
    const dir = mkdtempSync(path.join(tmpdir(), 'dts-cruise-'));
    try {
      // Packages resolve as in the repository, to their files under node_modules.
      symlinkSync(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
      for (const [name, code] of Object.entries(files)) {
        mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
        writeFileSync(path.join(dir, name), code);
      }
      const rules = createRequire(import.meta.url)('../../.dependency-cruiser.cjs') as { forbidden: unknown[] };
      const { cruise: run } = await import('dependency-cruiser');
      const result = await run(['lib'], {
        baseDir: dir, validate: true, doNotFollow: { path: 'node_modules' }, ruleSet: { forbidden: rules.forbidden }, tsPreCompilationDeps: true, enhancedResolveOptions: { extensions: ['.ts'] },
      } as never);
      const output = result.output as { summary: { violations: Array<{ rule: { name: string } }> } };
      return output.summary.violations.map((v) => v.rule.name);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  it('lib/domain may import cron-parser, and no other package: not luxon beneath it', async () => {
    expect(await cruise({ 'lib/domain/check/cal.ts': "import { CronExpressionParser } from 'cron-parser';\nexport const p = CronExpressionParser;\n" })).toEqual([]);
    expect(await cruise({ 'lib/domain/check/cal.ts': "import { DateTime } from 'luxon';\nexport const d = DateTime;\n" })).toEqual(['domain-is-pure']);
    expect(await cruise({ 'lib/domain/check/cal.ts': "import { z } from 'zod';\nexport const s = z;\n" })).toEqual(['domain-is-pure']);
  });

  it('a planted cycle, of types only, fails', async () => {
    expect(await cruise({
      'lib/cli/a.ts': "import type { B } from './b';\nexport type A = { b?: B };\n",
      'lib/cli/b.ts': "import type { A } from './a';\nexport type B = { a?: A };\n",
    })).toContain('no-cycle');
  });

  it('an adapter that calls a use case fails, and a tree without either passes', async () => {
    expect(await cruise({
      'lib/app/use.ts': 'export const use = 1;\n',
      'lib/adapters/x/store.ts': "import { use } from '../../app/use';\nexport const s = use;\n",
    })).toEqual(['adapters-below-app']);
    expect(await cruise({
      'lib/app/use.ts': "import type { P } from '../ports';\nexport const use = (p: P) => p;\n",
      'lib/ports.ts': 'export type P = number;\n',
    })).toEqual([]);
  });
});

describe('scripts/ and bench/ import nothing from test/', () => {
  it.each([
    ['scripts/planted.ts', '../test/support/events'],
    ['bench/planted.ts', '../test/e2e/support/steps'],
    ['bench/support/planted.ts', '../../test/support/cloud'],
  ])('%s importing %s fails lint', async (file, specifier) => {
    const messages = await lint(file, use(specifier));
    expect(messages).toEqual([{ ruleId: 'no-restricted-imports', message: expect.stringMatching(/boundary: scripts\/ and bench\/ import nothing from test\//) }]);
  });

  it('they may import tools/ and the product', async () => {
    expect(await lint('scripts/planted.ts', use('../tools/harness/cloud'))).toEqual([]);
    expect(await lint('bench/planted.ts', use('../lib/app/log'))).toEqual([]);
  });
});

it('the tests themselves may import anything', async () => {
  expect(await lint('test/unit/planted.test.ts', `${use('../../tools/harness/cloud')}import { x } from '../../bench/support/measured';\nexport const y = x;\n`)).toEqual([]);
});
