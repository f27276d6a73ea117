import { describe, expect, it } from 'vitest';
import type { KeysPort, ApiKeyInfo, ApiRole } from '../../lib/ports';
import { T0 } from './fixtures';

/** The port and the CLI's own calls, which make the keys the port checks. */
export type KeysUnderTest = KeysPort & {
  create(role: ApiRole, name: string, now: number): Promise<{ token: string; key: ApiKeyInfo }>;
  revoke(keyId: string, now: number): Promise<boolean>;
  list(): Promise<ApiKeyInfo[]>;
};

/** What every adapter of KeysPort does, as the API keys table does it. */
export function keysContract(make: () => Promise<KeysUnderTest>): void {
  describe('KeysPort', () => {
    it('verifies a key\'s own token until it is revoked, and nothing else', async () => {
      const keys = await make();
      const { token, key } = await keys.create('write', 'ci', T0);
      const other = await keys.create('read', 'dash', T0 + 1);
      expect(await keys.verify(token)).toEqual(key);
      expect(await keys.verify(token.slice(0, -1) + (token.endsWith('A') ? 'B' : 'A'))).toBeUndefined();
      expect(await keys.verify('not a token')).toBeUndefined();
      expect(await keys.revoke(key.keyId, T0 + 5)).toBe(true);
      expect(await keys.revoke(key.keyId, T0 + 6)).toBe(false);
      expect(await keys.revoke('000000000000', T0)).toBe(false);
      expect(await keys.verify(token)).toBeUndefined();
      expect(await keys.verify(other.token)).toEqual(other.key);
      expect(await keys.list()).toEqual([{ ...key, revokedAt: T0 + 5 }, other.key]);
    });
  });
}
