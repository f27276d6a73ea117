import type { ApiKeyStore } from '../../adapters/dynamodb/api-keys';
import { apiKeyStore } from '../../compose';
import type { Context } from '../context';
import { notFound, usage } from '../errors';
import { age, styleFor, table } from '../format';
import type { ApiRole } from '../../ports';

async function store(ctx: Context): Promise<ApiKeyStore> {
  return apiKeyStore(await ctx.root(['apiKeysTable']));
}

const KEY_NAME_MAX = 128;

/** `dts keys create --role read|write [--name TEXT]`: the token is printed once, and only its hash is kept. */
export async function keysCreateCommand(ctx: Context, o: { role: string; name?: string; json?: boolean }): Promise<number> {
  if (o.role !== 'read' && o.role !== 'write') throw usage('--role must be read or write');
  const name = o.name?.trim() || (ctx.io.env.USER ?? '');
  // A label for people reading `dts keys list`: a line of text, not a document.
  if (name.length > KEY_NAME_MAX || /\p{Cc}/u.test(name)) throw usage(`--name is a label of at most ${KEY_NAME_MAX} characters, with no control characters`);
  const { token, key } = await (await store(ctx)).create(o.role as ApiRole, name, Date.now());
  if (o.json) ctx.io.out(JSON.stringify({ token, ...key }, null, 2) + '\n');
  else {
    ctx.io.out(`${token}\n`);
    ctx.io.err(`made ${key.role} key ${key.keyId}${name ? ` (${name})` : ''}; it is shown only now. Use it as Authorization: Bearer <key>; revoke it with \`dts keys revoke ${key.keyId}\`\n`);
  }
  return 0;
}

export async function keysRevokeCommand(ctx: Context, keyId: string, o: { json?: boolean }): Promise<number> {
  const id = keyId.startsWith('dts_') ? (keyId.split('_')[1] ?? keyId) : keyId;
  // Checked here: the table's key cannot be empty nor hold 2 KB, and the engine's refusal reads as a crash.
  if (!/^[0-9a-f]{12}$/.test(id)) throw usage(`a key id is 12 hex characters, as \`dts keys list\` shows (or the whole dts_… key): got ${JSON.stringify(id.length > 40 ? `${id.slice(0, 40)}…` : id)}`);
  if (!(await (await store(ctx)).revoke(id, Date.now()))) throw notFound(`no key ${JSON.stringify(id)} in use (\`dts keys list\` shows them)`);
  if (o.json) ctx.io.out(JSON.stringify({ keyId: id, revoked: true }) + '\n');
  else ctx.io.out(`revoked key ${id}: it is refused from the next request on\n`);
  return 0;
}

export async function keysListCommand(ctx: Context, o: { json?: boolean }): Promise<number> {
  const keys = await (await store(ctx)).list();
  if (o.json) {
    ctx.io.out(JSON.stringify(keys, null, 2) + '\n');
    return 0;
  }
  if (keys.length === 0) {
    ctx.io.err('no API keys: `dts keys create --role read` makes one\n');
    return 0;
  }
  const now = Date.now();
  const s = styleFor(ctx.io.isTTY, ctx.io.env);
  ctx.io.out(table(['ID', 'ROLE', 'NAME', 'CREATED', 'STATUS'], keys.map((k) => [
    k.keyId, k.role, k.name, age(k.createdAt, now), k.revokedAt !== undefined ? s.dim(`revoked ${age(k.revokedAt, now)}`) : 'active',
  ]), s));
  return 0;
}
