/**
 * The folder boundaries that `npm run lint` enforces (eslint.config.js): an import planted in a
 * file of each folder, linted through ESLint's own API with the project's config, as `eslint .`
 * would lint a file at that path. The file never exists on disk.
 */
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
    expect(await lint('lib/api/planted.ts', use('../service/log'))).toEqual([]);
    expect(await lint('functions/planted.ts', use('../lib/adapters/clients'))).toEqual([]);
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
