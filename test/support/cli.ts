import type { Io } from '../../lib/cli/io';
import { main } from '../../lib/cli/main';

export interface CliRun {
  readonly code: number;
  readonly out: string;
  readonly err: string;
}

/** `dts ARGV…` run in process against `env` (a test cloud's), its output captured, as an operator `ops` at a pipe. */
export function cliIn(env: () => Record<string, string | undefined>): (...argv: string[]) => Promise<CliRun> {
  return async (...argv) => {
    let out = '';
    let err = '';
    const io: Io = { out: (t) => { out += t; }, err: (t) => { err += t; }, env: { ...env(), USER: 'ops' }, isTTY: false };
    const code = await main(argv, io);
    return { code, out, err };
  };
}
