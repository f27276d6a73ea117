import { userInfo } from 'node:os';
import { describe, expect, it } from 'vitest';
import { currentUser, makeContext } from '../../lib/cli/context';
import type { Io } from '../../lib/cli/io';

const io = (env: Record<string, string | undefined>): Io => ({ out: () => undefined, err: () => undefined, env, isTTY: false });

describe('currentUser (the createdBy of silences and channels)', () => {
  it('is $USER, else $USERNAME, from the command\'s own environment', () => {
    expect(currentUser(makeContext({}, io({ USER: 'ops', USERNAME: 'other' })))).toBe('ops');
    expect(currentUser(makeContext({}, io({ USERNAME: 'winops' })))).toBe('winops');
  });

  it('falls back to the operating system\'s account when neither is set', () => {
    expect(currentUser(makeContext({}, io({})))).toBe(userInfo().username);
  });
});
