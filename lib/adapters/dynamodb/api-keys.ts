import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { GetCommand, PutCommand, ScanCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { applied } from './conditional';
import type { ApiKeyInfo, ApiRole, KeysPort } from '../../ports';
/**
 * API keys, one item per key: `keyId` (the public part of the token) → the SHA-256 of the whole
 * token, the role and the dates. The token itself is never stored, so a copy of the table grants
 * nothing. A token reads `dts_<keyId>_<secret>`: the id finds the item with one GetItem, and the
 * digest of the presented token is compared with the stored one in constant time.
 */
const TOKEN = /^dts_([0-9a-f]{12})_([A-Za-z0-9_-]{43})$/;

function digest(token: string): Buffer {
  return createHash('sha256').update(token).digest();
}

/** Compared against when the key id is unknown, so that a miss costs what a hit costs. */
const DUMMY = digest('dts_000000000000_' + 'x'.repeat(43));

export class ApiKeyStore implements KeysPort {
  constructor(
    private readonly ddb: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  /** Make a key; the returned token is shown once and cannot be recovered. */
  async create(role: ApiRole, name: string, now: number): Promise<{ token: string; key: ApiKeyInfo }> {
    const keyId = randomBytes(6).toString('hex');
    const token = `dts_${keyId}_${randomBytes(32).toString('base64url')}`;
    const key: ApiKeyInfo = { keyId, role, name, createdAt: now };
    await this.ddb.send(new PutCommand({
      TableName: this.table,
      Item: { ...key, hash: digest(token).toString('hex') },
      ConditionExpression: 'attribute_not_exists(keyId)',
    }));
    return { token, key };
  }

  /** The key a token belongs to, if it is well formed, known, matches, and is not revoked. */
  async verify(token: string): Promise<ApiKeyInfo | undefined> {
    const m = TOKEN.exec(token);
    const presented = digest(token);
    if (!m) {
      timingSafeEqual(presented, DUMMY);
      return undefined;
    }
    const out = await this.ddb.send(new GetCommand({ TableName: this.table, Key: { keyId: m[1] }, ConsistentRead: true }));
    const item = out.Item;
    const stored = typeof item?.hash === 'string' && item.hash.length === 64 ? Buffer.from(item.hash, 'hex') : DUMMY;
    const same = timingSafeEqual(presented, stored);
    if (!item || !same || item.revokedAt !== undefined) return undefined;
    return itemToKey(item);
  }

  /** Revoke a key now. False when there is no such key or it was revoked already. */
  async revoke(keyId: string, now: number): Promise<boolean> {
    return applied(this.ddb.send(new UpdateCommand({
      TableName: this.table,
      Key: { keyId },
      UpdateExpression: 'SET revokedAt = :now',
      ConditionExpression: 'attribute_exists(keyId) AND attribute_not_exists(revokedAt)',
      ExpressionAttributeValues: { ':now': now },
    })));
  }

  /** Every key, revoked ones included. Operators have a handful: one Scan. */
  async list(): Promise<ApiKeyInfo[]> {
    const out: ApiKeyInfo[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.ddb.send(new ScanCommand({ TableName: this.table, ExclusiveStartKey: start }));
      out.push(...(page.Items ?? []).map(itemToKey));
      start = page.LastEvaluatedKey;
    } while (start);
    return out.sort((a, b) => a.createdAt - b.createdAt);
  }
}

function itemToKey(item: Record<string, unknown>): ApiKeyInfo {
  return {
    keyId: item.keyId as string,
    role: item.role === 'write' ? 'write' : 'read',
    name: (item.name as string | undefined) ?? '',
    createdAt: Number(item.createdAt),
    ...(item.revokedAt !== undefined ? { revokedAt: Number(item.revokedAt) } : {}),
  };
}
