/**
 * AWS clients whose transport answers at once without any I/O: the handler's own CPU work
 * (marshalling, serialising, signing) runs in full, the network and the engine do not. Used
 * only to time CPU; every figure about requests comes from the real engines.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { Clients } from '../../lib/adapters/clients';

const JSON_OK = new TextEncoder().encode('{}');
const SNS_OK = new TextEncoder().encode(
  '<PublishResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><PublishResult><MessageId>00000000-0000-0000-0000-000000000000</MessageId></PublishResult><ResponseMetadata><RequestId>x</RequestId></ResponseMetadata></PublishResponse>',
);

export interface NullTransportCounts {
  requests: number;
}

function handler(counts: NullTransportCounts, body: Uint8Array, contentType: string) {
  return {
    metadata: { handlerProtocol: 'http/1.1' },
    async handle(_request: unknown) {
      counts.requests++;
      // A plain object with the HttpResponse shape: the SDK checks the shape, not the class.
      return { response: { statusCode: 200, headers: { 'content-type': contentType, 'x-amzn-requestid': 'bench' }, body } };
    },
    updateHttpClientConfig() {},
    httpHandlerConfigs() {
      return {};
    },
    destroy() {},
  };
}

export function nullClients(counts: NullTransportCounts = { requests: 0 }): Clients {
  const base = { region: 'us-east-1', credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' }, endpoint: 'http://127.0.0.1:9' };
  const low = new DynamoDBClient({ ...base, requestHandler: handler(counts, JSON_OK, 'application/x-amz-json-1.0') });
  const ddb = DynamoDBDocumentClient.from(low, { marshallOptions: { removeUndefinedValues: true, convertEmptyValues: false } });
  // As lib/adapters/clients.ts composes it: the same transport, middleware resolved once.
  const ddbRaw = new DynamoDBClient({ ...base, cacheMiddleware: true, requestHandler: low.config.requestHandler });
  const sqs = new SQSClient({ ...base, requestHandler: handler(counts, JSON_OK, 'application/x-amz-json-1.0') });
  const sns = new SNSClient({ ...base, requestHandler: handler(counts, SNS_OK, 'text/xml') });
  return { ddb, ddbRaw, sqs, sns };
}
