/**
 * One local cloud per data directory: dynalite's LevelDB cannot be shared, and two clouds would
 * overwrite each other's queue snapshot. The lock is a file holding the owner's pid. A lock whose
 * process is gone, or whose pid now belongs to a process that is no local cloud (the pid was
 * reused after a crash), is stale: it is taken over, and the caller is told.
 */
import { open, readFile, rm } from 'node:fs/promises';
import path from 'node:path';

export interface DataDirLock {
  release(): Promise<void>;
  /** The pid of the crashed run whose stale lock was taken over, if any. */
  readonly tookOverFrom?: number;
}

export async function lockDataDir(dir: string): Promise<DataDirLock> {
  const file = path.join(dir, 'cloud.pid');
  let tookOverFrom: number | undefined;
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const handle = await open(file, 'wx');
      await handle.writeFile(String(process.pid));
      await handle.close();
      return { release: () => rm(file, { force: true }), ...(tookOverFrom !== undefined ? { tookOverFrom } : {}) };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const owner = Number(await readFile(file, 'utf8').catch(() => ''));
      if (Number.isInteger(owner) && owner > 0 && owner !== process.pid && isAlive(owner) && await looksLikeLocalCloud(owner)) {
        throw new Error(`${dir} is in use by another local cloud (pid ${owner}); stop it, or use another --data-dir or --in-memory`, { cause: e });
      }
      if (Number.isInteger(owner) && owner > 0) tookOverFrom = owner;
      await rm(file, { force: true });
    }
  }
  throw new Error(`could not lock ${dir}`);
}

/** Where /proc tells (Linux), whether a live pid is a Node process; elsewhere, assume it is. */
async function looksLikeLocalCloud(pid: number): Promise<boolean> {
  const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => undefined);
  return cmdline === undefined || /node|tsx/.test(cmdline);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
