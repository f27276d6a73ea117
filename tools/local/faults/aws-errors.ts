/**
 * The answers AWS gives when it throttles or fails, in each service's own protocol, so that the
 * SDK classifies an injected fault exactly as it classifies the real one (throttling and 5xx are
 * retried with backoff; see @smithy's service-error-classification).
 */
import { randomUUID } from 'node:crypto';
import type { Service } from './spec';

export interface ErrorReply {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: string;
}

export function awsError(service: Service, kind: 'throttle' | '5xx'): ErrorReply {
  const requestId = randomUUID();
  switch (service) {
    case 'dynamodb': {
      // DynamoDB, JSON 1.0 protocol.
      const [status, type, message] = kind === 'throttle'
        ? [400, 'ProvisionedThroughputExceededException', 'The level of configured provisioned throughput for the table was exceeded. Consider increasing your provisioning level with the UpdateTable API.']
        : [500, 'InternalServerError', 'Internal server error'];
      return json(status, { __type: `com.amazonaws.dynamodb.v20120810#${type}`, message }, { 'x-amzn-requestid': requestId });
    }
    case 'sqs': {
      // SQS, JSON protocol; x-amzn-query-error carries the query-compatible code the SDK prefers.
      const [status, type, message, fault] = kind === 'throttle'
        ? [403, 'RequestThrottled', 'Rate exceeded', 'Sender']
        : [503, 'ServiceUnavailable', 'Service is unable to handle request.', 'Receiver'];
      return json(status, { __type: `com.amazonaws.sqs#${type}`, message }, { 'x-amzn-requestid': requestId, 'x-amzn-query-error': `${type};${fault}` });
    }
    case 'sns': {
      // SNS, query protocol (XML).
      const [status, code, message, type] = kind === 'throttle'
        ? [429, 'Throttled', 'Rate exceeded', 'Sender']
        : [500, 'InternalError', 'Internal Error', 'Receiver'];
      const body = `<ErrorResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><Error><Type>${type}</Type><Code>${code}</Code><Message>${message}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`;
      return { status, headers: { 'content-type': 'text/xml', 'x-amzn-requestid': requestId }, body };
    }
  }
}

/** A BatchWriteItem that wrote nothing and hands every item back, as DynamoDB does under throttling. */
export function allUnprocessed(service: Service, operation: string, request: Record<string, unknown>): ErrorReply | undefined {
  if (service !== 'dynamodb') return undefined;
  if (operation === 'BatchWriteItem') return json(200, { UnprocessedItems: request.RequestItems ?? {} }, {});
  if (operation === 'BatchGetItem') return json(200, { Responses: {}, UnprocessedKeys: request.RequestItems ?? {} }, {});
  return undefined;
}

function json(status: number, body: unknown, headers: Record<string, string>): ErrorReply {
  return { status, headers: { 'content-type': 'application/x-amz-json-1.0', ...headers }, body: JSON.stringify(body) };
}
