/**
 * Packages the template of every set of params in E2E_PARAMS into the checkout's cache, as the
 * local cloud would at its start (tools/local/template/packaged.ts): `npm test` runs it beside the
 * integration suite, once the validation's packagings are done, so that the end-to-end files of a
 * fresh clone find their templates cached. A set already cached costs a read. Run:
 *
 *   node --import tsx test/e2e/support/prepackage.ts
 */
import path from 'node:path';
import { packagedTemplate, templateCacheDir } from '../../../tools/local/template/packaged';
import { ROOT } from './local-cloud-process';
import { E2E_PARAMS } from './params';

const cacheDir = templateCacheDir(ROOT);
let packaged = 0;
for (const [name, params] of Object.entries(E2E_PARAMS)) {
  const started = Date.now();
  const got = await packagedTemplate({ serviceDir: ROOT, stage: 'local', region: 'us-east-1', cacheDir, params });
  if (!got.fromCache) packaged++;
  if (process.env.DTS_VERBOSE) console.log(`${name}: ${got.fromCache ? 'cached' : 'packaged'} in ${Date.now() - started} ms`);
}
console.log(`the end-to-end files' ${Object.keys(E2E_PARAMS).length} templates are in ${path.relative(ROOT, cacheDir)} (${packaged} packaged now)`);
