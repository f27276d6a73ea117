import { ScanCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Host} from '../../domain/model';
import { itemToHost } from './hosts';
import type { HostFilter, HostPagesPort } from '../../ports';

/**
 * Pages of the hosts table for the API: a Scan with the filter applied by DynamoDB, cut at the
 * page size, with the last key as the cursor. Hosts come in the table's hash order, not by name:
 * a page is for walking the fleet, and the caller sorts what it shows. Each page reads at most
 * `limit` items, so a page costs O(limit), whatever the fleet's size.
 */
export class HostPages implements HostPagesPort {
  constructor(
    private readonly ddb: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  async page(filter: HostFilter, limit: number, after?: string): Promise<{ hosts: Host[]; next: string | undefined }> {
    const parts: string[] = [];
    const names: Record<string, string> = {};
    const values: Record<string, unknown> = {};
    if (filter.state !== undefined) {
      parts.push('#state = :state');
      names['#state'] = 'state';
      values[':state'] = filter.state;
    }
    if (filter.label !== undefined) {
      parts.push('#labels.#lk = :lv');
      names['#labels'] = 'labels';
      names['#lk'] = filter.label.key;
      values[':lv'] = filter.label.value;
    }
    if (filter.prefix !== undefined && filter.prefix !== '') {
      parts.push('begins_with(#hostname, :prefix)');
      names['#hostname'] = 'hostname';
      values[':prefix'] = filter.prefix;
    }
    const hosts: Host[] = [];
    let start: Record<string, unknown> | undefined = after !== undefined ? { hostname: after } : undefined;
    do {
      const page = await this.ddb.send(new ScanCommand({
        TableName: this.table,
        ...(parts.length ? { FilterExpression: parts.join(' AND '), ExpressionAttributeNames: names, ExpressionAttributeValues: values } : {}),
        // Limit bounds the items read, before the filter: a page never holds more than asked.
        Limit: limit - hosts.length,
        ExclusiveStartKey: start,
      }));
      hosts.push(...(page.Items ?? []).map(itemToHost));
      start = page.LastEvaluatedKey;
    } while (start && hosts.length < limit);
    return { hosts, next: start ? (start.hostname as string) : undefined };
  }
}
