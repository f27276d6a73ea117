/**
 * The docs against what they describe: docs/DATA-MODEL.md counts the tables that
 * serverless/tables.yml defines and gives each a section; the README stays short.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const read = (path: string): string => readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8');
const WORDS = ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine', 'ten', 'eleven', 'twelve'];

describe('docs/DATA-MODEL.md', () => {
  const template = read('serverless/tables.yml');
  const doc = read('docs/DATA-MODEL.md');
  const tables = [...template.matchAll(/TableName: \$\{self:service\}-\$\{sls:stage\}-([a-z-]+)/g)].map((m) => m[1] as string);

  it('counts the tables the template defines', () => {
    expect(tables.length).toBe([...template.matchAll(/Type: AWS::DynamoDB::Table/g)].length);
    const said = /dts keeps (\w+) DynamoDB tables/.exec(doc)?.[1];
    expect(said).toBe(WORDS[tables.length]);
  });

  it('gives every table its own section', () => {
    const sections = [...doc.matchAll(/^## `([a-z-]+)`/gm)].map((m) => m[1]);
    expect([...sections].sort()).toEqual([...tables].sort());
  });
});

it('the README stays the entry point: at most 200 lines', () => {
  expect(read('README.md').split('\n').length).toBeLessThanOrEqual(200);
});
