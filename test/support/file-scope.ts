/**
 * What each file of a project that shares its workers (`isolate: false`, vitest.config.ts) gets
 * as if it had a process of its own: dts's modules evaluated afresh, and the environment as the
 * file found it when it ends.
 *
 * - The handlers keep their composed dependencies in module state, as a Lambda environment does
 *   (functions/*.ts), and compose them from the environment the file sets up (its endpoint, its
 *   tables). `vi.resetModules()` drops the registry of the project's own modules, so a file's
 *   handlers compose from its cloud, not from the last file's. Packages (the AWS SDK, dynalite)
 *   are not re-evaluated: loading them again for every file was most of what isolation cost.
 * - A file that sets variables leaves them to the next one unless they are put back.
 */
import { afterAll, vi } from 'vitest';

const found = { ...process.env };
afterAll(() => {
  for (const name of Object.keys(process.env)) if (!(name in found)) Reflect.deleteProperty(process.env, name);
  Object.assign(process.env, found);
});
vi.resetModules();
