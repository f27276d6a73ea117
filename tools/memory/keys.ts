import { createHash, randomBytes } from 'node:crypto';
import type { KeysPort, ApiKeyInfo, ApiRole } from '../../lib/ports';
const TOKEN = /^dts_([0-9a-f]{12})_([A-Za-z0-9_-]{43})$/;
const digest = (token: string): string => createHash('sha256').update(token).digest('hex');

/** API keys in memory: as in the table, only a digest of each token is kept. */
export class MemoryKeys implements KeysPort {
  private readonly keys = new Map<string, ApiKeyInfo & { hash: string }>();

  async create(role: ApiRole, name: string, now: number): Promise<{ token: string; key: ApiKeyInfo }> {
    const keyId = randomBytes(6).toString('hex');
    const token = `dts_${keyId}_${randomBytes(32).toString('base64url')}`;
    const key: ApiKeyInfo = { keyId, role, name, createdAt: now };
    this.keys.set(keyId, { ...key, hash: digest(token) });
    return { token, key };
  }

  async verify(token: string): Promise<ApiKeyInfo | undefined> {
    const m = TOKEN.exec(token);
    const stored = m ? this.keys.get(m[1] as string) : undefined;
    if (!stored || stored.hash !== digest(token) || stored.revokedAt !== undefined) return undefined;
    const { hash: _hash, ...key } = stored;
    return key;
  }

  async revoke(keyId: string, now: number): Promise<boolean> {
    const k = this.keys.get(keyId);
    if (!k || k.revokedAt !== undefined) return false;
    this.keys.set(keyId, { ...k, revokedAt: now });
    return true;
  }

  async list(): Promise<ApiKeyInfo[]> {
    return [...this.keys.values()].map(({ hash: _hash, ...key }) => key).sort((a, b) => a.createdAt - b.createdAt);
  }
}
