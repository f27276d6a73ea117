/**
 * The template as `serverless package` makes it, checked against AWS's own specifications:
 * CloudFormation's resource types (checkTemplate) and IAM's actions and ARNs (checkPolicies).
 */
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { packagedTemplate } from '../local/template/packaged';
import { checkTemplate } from './cloudformation';
import type { Finding, Template } from './findings';
import { checkPolicies } from './iam';

export const SERVICE_ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface Combination {
  readonly name: string;
  /** Where the README or docs/ describe it. */
  readonly documented: string;
  readonly params: Readonly<Record<string, string>>;
}

/** Every param combination that the README and docs/ tell an operator to deploy with. */
export const DOCUMENTED_COMBINATIONS: readonly Combination[] = [
  { name: 'defaults', documented: 'README.md, "Deploy to AWS"', params: {} },
  { name: 'provisioned capacity', documented: 'docs/DATA-MODEL.md, "Capacity"', params: { billingMode: 'PROVISIONED', readCapacity: '10', writeCapacity: '50' } },
  { name: 'a KMS key', documented: 'docs/DATA-MODEL.md, "Production defaults"', params: { kmsKeyArn: 'arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab' } },
  { name: 'diagnose fanned out', documented: 'docs/SEMANTICS.md, "Diagnose fanned out"', params: { diagnoseWorkers: '20', diagnoseHostsPerWorker: '50000' } },
  { name: 'an ops email', documented: 'docs/SEMANTICS.md, "Watching the watcher"', params: { opsEmail: 'ops@example.com' } },
  { name: 'API throttling', documented: 'docs/CONSOLE.md, "Throttling"', params: { apiThrottleRate: '5', apiThrottleBurst: '10' } },
  {
    name: 'alert subscriptions', documented: 'docs/SEMANTICS.md, "Delivery: what a person receives"',
    params: {
      alertEmails: 'oncall@example.com,dba@example.com', alertEmailFilter: '{"severity":["critical"]}',
      alertWebhooks: 'https://events.example.com/integration/KEY/enqueue',
      alertSubscriptions: '[{"endpoint":"dba@example.com","filter":{"label.role":["db"]}},{"endpoint":"https://relay.example.com/chat"}]',
    },
  },
  { name: 'a production stage, all of it', documented: 'docs/DEPLOY.md', params: {
    billingMode: 'PROVISIONED', kmsKeyArn: 'arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab', diagnoseWorkers: '20',
    opsEmail: 'ops@example.com', alertEmails: 'oncall@example.com', deletionProtection: 'true', tableDeletionPolicy: 'Retain',
  } },
];

export async function validateTemplate(template: Template, options: { region?: string; stackName?: string } = {}): Promise<Finding[]> {
  return [...checkTemplate(template), ...(await checkPolicies(template, options))];
}

export async function packageAndValidate(stage: string, params: Readonly<Record<string, string>>, region = 'us-east-1'): Promise<{ template: Template; findings: Finding[] }> {
  const { template } = await packagedTemplate({ serviceDir: SERVICE_ROOT, stage, region, params, cacheDir: path.join(SERVICE_ROOT, '.dts', 'cache') });
  const t = template as unknown as Template;
  return { template: t, findings: await validateTemplate(t, { region, stackName: `dts-${stage}` }) };
}
