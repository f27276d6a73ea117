import {
  DeleteParameterCommand, GetParameterCommand, ParameterNotFound, PutParameterCommand, type SSMClient,
} from '@aws-sdk/client-ssm';
import type { ChannelSecret } from '../../domain/channel/channel';
import type { SecretsPort } from '../../ports';

/**
 * The SSM parameter of a channel's secret: under the channels table's name, so that one IAM
 * statement (`parameter/<table>/*`) covers exactly this deployment's channels.
 */
export function secretRefOf(channelsTable: string, channel: string): string {
  return `/${channelsTable}/${channel}`;
}

/**
 * SSM Parameter Store SecureStrings, encrypted with the account's `aws/ssm` key. The value is
 * the secret as JSON. Locally the local cloud answers these calls (tools/local/ssm.ts).
 */
export class SsmSecretStore implements SecretsPort {
  constructor(private readonly ssm: SSMClient) {}

  async put(ref: string, secret: ChannelSecret): Promise<void> {
    await this.ssm.send(new PutParameterCommand({
      Name: ref, Type: 'SecureString', Value: JSON.stringify(secret), Overwrite: true, Description: 'dts channel secret',
    }));
  }

  async get(ref: string): Promise<ChannelSecret | undefined> {
    try {
      const out = await this.ssm.send(new GetParameterCommand({ Name: ref, WithDecryption: true }));
      const value = out.Parameter?.Value;
      return value === undefined ? undefined : (JSON.parse(value) as ChannelSecret);
    } catch (e) {
      if (e instanceof ParameterNotFound) return undefined;
      throw e;
    }
  }

  async remove(ref: string): Promise<void> {
    try {
      await this.ssm.send(new DeleteParameterCommand({ Name: ref }));
    } catch (e) {
      if (!(e instanceof ParameterNotFound)) throw e;
    }
  }
}
