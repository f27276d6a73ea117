import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { TestSpecification, Vitest } from 'vitest/node';
import { E2E_LONGEST_FIRST, LongestFirst } from '../../vitest.config';

const ROOT = path.resolve(import.meta.dirname, '../..');

/** A sequencer over files of the sizes given, with the last durations vitest has cached (none by default). */
function order(files: Record<string, number>, durations: Record<string, number> = {}): Promise<string[]> {
  const key = (f: string) => `e2e:test/e2e/${f}.test.ts`;
  const ctx = {
    config: { root: ROOT },
    cache: {
      getFileTestResults: (k: string) => {
        const name = Object.keys(files).find((f) => key(f) === k);
        return name && durations[name] !== undefined ? { failed: false, duration: durations[name] } : undefined;
      },
      getFileStats: (k: string) => {
        const name = Object.keys(files).find((f) => key(f) === k);
        return name ? { size: files[name] } : undefined;
      },
    },
  } as unknown as Vitest;
  const specs = Object.keys(files).map((f) => ({ project: { name: 'e2e' }, moduleId: path.join(ROOT, 'test', 'e2e', `${f}.test.ts`) }) as unknown as TestSpecification);
  return new LongestFirst(ctx).sort(specs).then((s) => s.map((f) => path.basename(f.moduleId, '.test.ts')));
}

describe('the order end-to-end files start in', () => {
  it('in a fresh clone (no durations), the longest named files first, then the rest larger first', async () => {
    expect(await order({ hostile: 10_720, 'ingest-lag': 5_754, channels: 14_148, fanout: 4_717, console: 15_412 }))
      .toEqual(['channels', 'ingest-lag', 'console', 'hostile', 'fanout']);
  });

  it('with every file\'s last duration known, vitest\'s own order: longest last run first', async () => {
    expect(await order({ channels: 14_148, fanout: 4_717, 'ingest-lag': 5_754 }, { channels: 10_000, fanout: 90_000, 'ingest-lag': 20_000 }))
      .toEqual(['fanout', 'ingest-lag', 'channels']);
  });

  it('names files that exist', async () => {
    const { readdir } = await import('node:fs/promises');
    const present = (await readdir(path.join(ROOT, 'test', 'e2e'))).map((f) => f.replace(/\.test\.ts$/, ''));
    expect(E2E_LONGEST_FIRST.filter((f) => !present.includes(f))).toEqual([]);
  });
});
