/**
 * The local cloud answers DynamoDB, SQS, SNS and SSM with no authentication at all: any caller
 * that reaches its port reads and writes every table, queue and parameter (the channels' webhook
 * URLs and signing keys included). On loopback that is the developer alone; on any other address
 * it is whoever shares the network, so `npm start --host` says so.
 */
import { isIP } from 'node:net';

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|localhost|::ffff:127\.\d+\.\d+\.\d+)$/i;

/** The warning for listening on `host`, or undefined on loopback. */
export function exposureWarning(host: string, port: number): string | undefined {
  const bare = host.replace(/^\[(.*)\]$/, '$1');
  if (LOOPBACK.test(bare)) return undefined;
  const where = bare === '0.0.0.0' || bare === '::' ? 'every interface' : isIP(bare) ? bare : `${bare} (a name)`;
  return `dts local: WARNING: listening on ${where}, port ${port}: the local cloud has no authentication, so anyone who can reach it `
    + 'reads and writes every table, queue and SSM parameter (channel secrets included). Use --host 127.0.0.1 unless this network is yours alone.';
}
