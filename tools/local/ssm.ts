/**
 * Just enough of SSM Parameter Store for channel secrets: PutParameter, GetParameter and
 * DeleteParameter over SSM's JSON protocol (`X-Amz-Target: AmazonSSM.*`), as the AWS SDK sends
 * them to the edge. Values are kept in memory, and in `<data dir>/ssm-parameters.json` (mode
 * 0600) when the cloud persists. Locally a SecureString is NOT encrypted: the data directory is
 * the developer's own; in AWS, SSM encrypts it with KMS.
 */
import { chmod, readFile, rename, writeFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';

interface Parameter {
  readonly Name: string;
  readonly Type: string;
  readonly Value: string;
  readonly Version: number;
  readonly LastModifiedDate: number;
}

const ACCOUNT_ID = '000000000000';

export class LocalSsm {
  private readonly params = new Map<string, Parameter>();
  private writing: Promise<void> = Promise.resolve();

  private constructor(private readonly file: string | undefined, private readonly region: string) {}

  static async open(file: string | undefined, region: string): Promise<LocalSsm> {
    const ssm = new LocalSsm(file, region);
    if (file) {
      const text = await readFile(file, 'utf8').catch((e: NodeJS.ErrnoException) => (e.code === 'ENOENT' ? '[]' : Promise.reject(e)));
      for (const p of JSON.parse(text) as Parameter[]) ssm.params.set(p.Name, p);
    }
    return ssm;
  }

  /** Answers one request whose X-Amz-Target starts with `AmazonSSM.`. */
  handle(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const action = String(req.headers['x-amz-target']).slice('AmazonSSM.'.length);
      let input: Record<string, unknown>;
      try {
        input = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Record<string, unknown>;
      } catch {
        reply(res, 400, { __type: 'SerializationException', message: 'the body is not JSON' });
        return;
      }
      this.act(action, input).then(([status, body]) => reply(res, status, body), (e: Error) => reply(res, 500, { __type: 'InternalServerError', message: e.message }));
    });
  }

  private async act(action: string, input: Record<string, unknown>): Promise<[number, unknown]> {
    const name = typeof input.Name === 'string' ? input.Name : '';
    if (!/^[A-Za-z0-9_.\-/]{1,2048}$/.test(name)) return [400, { __type: 'ValidationException', message: `invalid parameter name ${JSON.stringify(name)}` }];
    const existing = this.params.get(name);
    const notFound: [number, unknown] = [400, { __type: 'ParameterNotFound', message: `parameter ${name} not found` }];
    switch (action) {
      case 'PutParameter': {
        if (typeof input.Value !== 'string' || input.Value === '') return [400, { __type: 'ValidationException', message: 'Value is required' }];
        if (existing && input.Overwrite !== true) return [400, { __type: 'ParameterAlreadyExists', message: `parameter ${name} already exists` }];
        const version = (existing?.Version ?? 0) + 1;
        this.params.set(name, { Name: name, Type: String(input.Type ?? 'String'), Value: input.Value, Version: version, LastModifiedDate: Date.now() / 1000 });
        await this.save();
        return [200, { Version: version, Tier: 'Standard' }];
      }
      case 'GetParameter':
        if (!existing) return notFound;
        return [200, { Parameter: { ...existing, ARN: `arn:aws:ssm:${this.region}:${ACCOUNT_ID}:parameter${name.startsWith('/') ? '' : '/'}${name}`, DataType: 'text' } }];
      case 'DeleteParameter':
        if (!existing) return notFound;
        this.params.delete(name);
        await this.save();
        return [200, {}];
      default:
        return [400, { __type: 'UnknownOperationException', message: `the local cloud's SSM answers PutParameter, GetParameter and DeleteParameter, not ${action}` }];
    }
  }

  private save(): Promise<void> {
    const file = this.file;
    if (!file) return Promise.resolve();
    const text = JSON.stringify([...this.params.values()]);
    this.writing = this.writing.then(async () => {
      await writeFile(`${file}.tmp`, text, { mode: 0o600 });
      await chmod(`${file}.tmp`, 0o600);
      await rename(`${file}.tmp`, file);
    });
    return this.writing;
  }
}

function reply(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}
