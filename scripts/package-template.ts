/**
 * Packages serverless.yml for `npm start` ahead of time, into the cache it reads
 * (tools/local/template/packaged.ts): `prepare` runs this at install, so that the first
 * `npm start` finds the template made and starts in seconds instead of running
 * `serverless package` first. A cached, current template is left as it is.
 *
 *   node --import tsx scripts/package-template.ts [--stage local] [--region us-east-1]
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { packagedTemplate, templateCacheDir } from '../tools/local/template/packaged';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({ options: { stage: { type: 'string', default: 'local' }, region: { type: 'string', default: 'us-east-1' } } });
const started = performance.now();
const packaged = await packagedTemplate({
  serviceDir: ROOT, stage: values.stage, region: values.region, cacheDir: templateCacheDir(ROOT),
});
console.error(`dts: npm start's template ${packaged.fromCache ? 'was current' : 'packaged'} (${path.relative(ROOT, packaged.file)}; ${((performance.now() - started) / 1000).toFixed(1)} s)`);
