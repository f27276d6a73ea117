import { describe, expect, it } from 'vitest';
import { runtimeArgs } from '../../tools/local/lambda/runtime';

describe("an environment's node flags", () => {
  it('are the cloud\'s own, less the module loaders it was started with', () => {
    expect(runtimeArgs(['--import', 'tsx', '--max-old-space-size=512'])).toEqual(['--max-old-space-size=512']);
    expect(runtimeArgs(['--import=tsx', '--require', './hook.cjs', '-r', 'x', '--loader', 'ts-node/esm', '--experimental-loader=y', '--enable-source-maps']))
      .toEqual(['--enable-source-maps']);
    expect(runtimeArgs(['--cpu-prof', '--cpu-prof-dir', '/tmp/p'])).toEqual(['--cpu-prof', '--cpu-prof-dir', '/tmp/p']);
    expect(runtimeArgs([])).toEqual([]);
  });
});
