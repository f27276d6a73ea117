import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';

/**
 * The AWS clients, made once per process. The SDK reads AWS_REGION, AWS_ENDPOINT_URL and the
 * credentials chain itself, so the same code talks to AWS, LocalStack or the embedded cloud.
 */
export interface Clients {
  readonly ddb: DynamoDBDocumentClient;
  /**
   * The same DynamoDB, low-level, on the same connections, for a hot write of fixed shape (log
   * rules' counter update, one an ingest invocation): it resolves each command's middleware once
   * (`cacheMiddleware`, which the document client refuses). Absent: such writes go through `ddb`.
   */
  readonly ddbRaw?: DynamoDBClient;
  readonly sqs: SQSClient;
  readonly sns: SNSClient;
}

export interface ClientOptions {
  readonly region?: string;
  readonly endpoint?: string;
  readonly credentials?: { accessKeyId: string; secretAccessKey: string };
}

export function createClients(options: ClientOptions = {}): Clients {
  const config = {
    ...(options.region ? { region: options.region } : {}),
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
    ...(options.credentials ? { credentials: options.credentials } : {}),
    maxAttempts: 5,
  };
  const low = new DynamoDBClient(config);
  const ddb = DynamoDBDocumentClient.from(low, {
    marshallOptions: { removeUndefinedValues: true, convertEmptyValues: false },
  });
  // Made on first use: only ingest-logs writes through it, and a client costs a few hundred µs to make.
  let raw: DynamoDBClient | undefined;
  // A queue URL names a host (e.g. sqs.us-east-1.localhost) that only resolves on AWS; with a
  // custom endpoint, requests must go to the endpoint, which the SQS client only honours when
  // it is set explicitly rather than through the environment.
  const sqsEndpoint = options.endpoint ?? process.env.AWS_ENDPOINT_URL_SQS ?? process.env.AWS_ENDPOINT_URL;
  const sqs = new SQSClient({ ...config, ...(sqsEndpoint ? { endpoint: sqsEndpoint } : {}) });
  return {
    ddb,
    get ddbRaw() {
      return (raw ??= new DynamoDBClient({ ...config, cacheMiddleware: true, requestHandler: low.config.requestHandler }));
    },
    sqs,
    sns: new SNSClient(config),
  };
}

let shared: Clients | undefined;

/** The process-wide clients a Lambda handler reuses across invocations. */
export function defaultClients(): Clients {
  shared ??= createClients();
  return shared;
}
