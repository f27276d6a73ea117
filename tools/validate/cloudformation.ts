/**
 * The packaged template against the CloudFormation resource specification (@aws-cdk/aws-service-spec,
 * built from the CloudFormation registry schemas): every type exists, every property is known and
 * has the shape the type declares, required properties are there, and every Ref, Fn::GetAtt,
 * Fn::Sub reference and condition names something that exists.
 */
import { loadAwsServiceSpecSync } from '@aws-cdk/aws-service-spec';
import type { PropertyType, Resource, SpecDatabase, TypeDefinition } from '@aws-cdk/service-spec-types';
import type { Finding, Template } from './findings';

let spec: SpecDatabase | undefined;
/** The database is a gzipped JSON in the package (no network); loading it takes about a second. */
export function specDatabase(): SpecDatabase {
  spec ??= loadAwsServiceSpecSync();
  return spec;
}

export function resourceSpec(type: string): Resource | undefined {
  return specDatabase().lookup('resource', 'cloudFormationType', 'equals', type)[0];
}

export const PSEUDO_PARAMETERS = new Set([
  'AWS::AccountId', 'AWS::NotificationARNs', 'AWS::NoValue', 'AWS::Partition', 'AWS::Region', 'AWS::StackId', 'AWS::StackName', 'AWS::URLSuffix',
]);
const TEMPLATE_SECTIONS = new Set(['AWSTemplateFormatVersion', 'Description', 'Metadata', 'Parameters', 'Mappings', 'Conditions', 'Transform', 'Resources', 'Outputs', 'Rules']);
const RESOURCE_ATTRIBUTES = new Set(['Type', 'Properties', 'DependsOn', 'Condition', 'DeletionPolicy', 'UpdateReplacePolicy', 'Metadata', 'CreationPolicy', 'UpdatePolicy']);
const DELETION_POLICIES = new Set(['Delete', 'Retain', 'RetainExceptOnCreate', 'Snapshot']);
/** Intrinsics that can return a list, so may stand where CloudFormation expects one. */
const LIST_INTRINSICS = new Set(['Ref', 'Fn::GetAtt', 'Fn::GetAZs', 'Fn::Split', 'Fn::Cidr', 'Fn::FindInMap', 'Fn::If', 'Fn::ImportValue']);
/** Intrinsics that return a scalar. */
const SCALAR_INTRINSICS = new Set(['Ref', 'Fn::GetAtt', 'Fn::Sub', 'Fn::Join', 'Fn::Select', 'Fn::Base64', 'Fn::FindInMap', 'Fn::ImportValue', 'Fn::If', 'Fn::Length', 'Fn::ToJsonString']);

/** The one intrinsic a value is, if it is one (an object with a single Ref or Fn:: key). */
export function intrinsicOf(value: unknown): [string, unknown] | undefined {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
  const entries = Object.entries(value);
  const [first] = entries;
  if (entries.length === 1 && first && (first[0] === 'Ref' || first[0].startsWith('Fn::'))) return first;
  return undefined;
}

const isNoValue = (v: unknown): boolean => intrinsicOf(v)?.[0] === 'Ref' && intrinsicOf(v)?.[1] === 'AWS::NoValue';
const shapeOf = (v: unknown): string => (Array.isArray(v) ? 'a list' : v === null ? 'null' : typeof v === 'object' ? 'an object' : `the ${typeof v} ${JSON.stringify(v)}`);

export function checkTemplate(template: Template): Finding[] {
  const findings: Finding[] = [];
  const resources = template.Resources ?? {};
  const conditions = template.Conditions ?? {};
  const parameters = template.Parameters ?? {};
  const add = (resource: string, path: string, check: string, message: string): void => {
    findings.push({ resource, path, check, message });
  };

  for (const key of Object.keys(template)) {
    if (!TEMPLATE_SECTIONS.has(key)) add('(template)', key, 'section', `"${key}" is not a section of a CloudFormation template`);
  }

  // ---- references: anywhere in resources, outputs and conditions
  const checkRefs = (value: unknown, resource: string, path: string): void => {
    if (Array.isArray(value)) {
      value.forEach((v, i) => checkRefs(v, resource, `${path}[${i}]`));
      return;
    }
    if (value === null || typeof value !== 'object') return;
    const fn = intrinsicOf(value);
    if (fn?.[0] === 'Ref') {
      const target = fn[1];
      if (typeof target !== 'string') add(resource, `${path}.Ref`, 'ref', 'Ref takes the name of a resource or parameter');
      else if (!(target in resources) && !(target in parameters) && !PSEUDO_PARAMETERS.has(target)) {
        add(resource, `${path}.Ref`, 'ref', `Ref ${target}: no resource, parameter or pseudo parameter has that name`);
      }
      return;
    }
    if (fn?.[0] === 'Fn::GetAtt') {
      const arg = fn[1];
      const [target, attribute] = typeof arg === 'string' ? [arg.slice(0, arg.indexOf('.')), arg.slice(arg.indexOf('.') + 1)] : Array.isArray(arg) ? [arg[0], arg[1]] : [];
      if (typeof target !== 'string' || typeof attribute !== 'string') add(resource, `${path}.Fn::GetAtt`, 'getatt', 'Fn::GetAtt takes [logicalId, attribute]');
      else checkGetAtt(target, attribute, resource, `${path}.Fn::GetAtt`);
      return;
    }
    if (fn?.[0] === 'Fn::Sub') {
      const [text, vars] = typeof fn[1] === 'string' ? [fn[1], {}] : Array.isArray(fn[1]) ? [fn[1][0], fn[1][1] ?? {}] : [undefined, {}];
      if (typeof text !== 'string') add(resource, `${path}.Fn::Sub`, 'sub', 'Fn::Sub takes a string, or [string, variables]');
      else {
        const local = new Set(Object.keys(vars as object));
        for (const [, name] of text.matchAll(/\$\{(?!!)([^}]+)\}/g)) {
          const ref = (name as string).trim();
          if (local.has(ref) || PSEUDO_PARAMETERS.has(ref)) continue;
          const dot = ref.indexOf('.');
          if (dot > 0) checkGetAtt(ref.slice(0, dot), ref.slice(dot + 1), resource, `${path}.Fn::Sub`);
          else if (!(ref in resources) && !(ref in parameters)) add(resource, `${path}.Fn::Sub`, 'ref', `\${${ref}}: no resource, parameter or pseudo parameter has that name`);
        }
      }
      checkRefs(vars, resource, `${path}.Fn::Sub[1]`);
      return;
    }
    if (fn?.[0] === 'Fn::If') {
      const name = Array.isArray(fn[1]) ? fn[1][0] : undefined;
      if (typeof name !== 'string' || !(name in conditions)) add(resource, `${path}.Fn::If`, 'condition', `Fn::If names the condition ${JSON.stringify(name)}, which Conditions does not define`);
      if (Array.isArray(fn[1])) fn[1].slice(1).forEach((v, i) => checkRefs(v, resource, `${path}.Fn::If[${i + 1}]`));
      return;
    }
    if (fn?.[0] === 'Condition' || (Object.keys(value).length === 1 && 'Condition' in value && typeof (value as { Condition: unknown }).Condition === 'string' && path.startsWith('Conditions'))) {
      const name = (value as { Condition: string }).Condition;
      if (!(name in conditions)) add(resource, path, 'condition', `condition ${name} is not defined`);
      return;
    }
    for (const [k, v] of Object.entries(value)) checkRefs(v, resource, `${path}.${k}`);
  };

  const checkGetAtt = (target: string, attribute: string, resource: string, path: string): void => {
    const r = resources[target];
    if (!r) {
      add(resource, path, 'getatt', `Fn::GetAtt ${target}.${attribute}: no resource ${target} in the template`);
      return;
    }
    const type = resourceSpec(r.Type);
    if (!type) return; // an unknown type is reported once, where it is declared
    if (!(attribute in type.attributes)) {
      const known = Object.keys(type.attributes).sort().join(', ') || 'none';
      add(resource, path, 'getatt', `Fn::GetAtt ${target}.${attribute}: ${r.Type} has no attribute ${attribute} (it has: ${known})`);
    }
  };

  // ---- property shapes
  const checkValue = (value: unknown, type: PropertyType, resource: string, path: string): void => {
    if (isNoValue(value)) return;
    const fn = intrinsicOf(value);
    if (fn?.[0] === 'Fn::If' && Array.isArray(fn[1])) {
      fn[1].slice(1).forEach((branch, i) => checkValue(branch, type, resource, `${path}.Fn::If[${i + 1}]`));
      return;
    }
    switch (type.type) {
      case 'union': {
        const fits = type.types.map((t) => {
          const before = findings.length;
          checkValue(value, t, resource, path);
          return findings.splice(before);
        });
        if (fits.some((f) => f.length === 0)) return;
        // None fits: report the member whose shape the value has, so the message is about its inside.
        const best = fits.reduce((a, b) => (b.length < a.length ? b : a));
        findings.push(...best);
        return;
      }
      case 'json':
      case 'null':
        return;
      case 'string':
      case 'date-time':
        if (fn) {
          if (!SCALAR_INTRINSICS.has(fn[0])) add(resource, path, 'type', `${fn[0]} cannot stand for a string`);
        } else if (value === null || typeof value === 'object') add(resource, path, 'type', `expected a string, got ${shapeOf(value)}`);
        return;
      case 'number':
      case 'integer': {
        if (fn) {
          if (!SCALAR_INTRINSICS.has(fn[0])) add(resource, path, 'type', `${fn[0]} cannot stand for a number`);
          return;
        }
        const n = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : Number.NaN;
        if (!Number.isFinite(n) || (type.type === 'integer' && !Number.isInteger(n))) add(resource, path, 'type', `expected ${type.type === 'integer' ? 'an integer' : 'a number'}, got ${shapeOf(value)}`);
        return;
      }
      case 'boolean':
        if (fn) {
          if (!SCALAR_INTRINSICS.has(fn[0])) add(resource, path, 'type', `${fn[0]} cannot stand for a boolean`);
        } else if (typeof value !== 'boolean' && !(typeof value === 'string' && /^(true|false)$/i.test(value))) {
          add(resource, path, 'type', `expected a boolean, got ${shapeOf(value)}`);
        }
        return;
      case 'tag':
        if (fn) add(resource, path, 'type', `${fn[0]} cannot stand for a tag`);
        else if (value === null || typeof value !== 'object' || Array.isArray(value)) add(resource, path, 'type', `expected a tag {Key, Value}, got ${shapeOf(value)}`);
        else {
          for (const k of Object.keys(value)) if (k !== 'Key' && k !== 'Value') add(resource, `${path}.${k}`, 'property', `a tag has Key and Value only, not ${k}`);
          for (const k of ['Key', 'Value']) if (!(k in value)) add(resource, path, 'required', `a tag needs ${k}`);
        }
        return;
      case 'array':
        if (fn) {
          if (!LIST_INTRINSICS.has(fn[0])) add(resource, path, 'type', `expected a list, got ${fn[0]} (which returns a string)`);
        } else if (!Array.isArray(value)) add(resource, path, 'type', `expected a list, got ${shapeOf(value)}`);
        else value.forEach((v, i) => checkValue(v, type.element, resource, `${path}[${i}]`));
        return;
      case 'map':
        if (fn) {
          if (fn[0] !== 'Fn::FindInMap' && fn[0] !== 'Fn::ImportValue') add(resource, path, 'type', `expected a map, got ${fn[0]}`);
        } else if (value === null || typeof value !== 'object' || Array.isArray(value)) add(resource, path, 'type', `expected a map, got ${shapeOf(value)}`);
        else for (const [k, v] of Object.entries(value)) checkValue(v, type.element, resource, `${path}.${k}`);
        return;
      case 'ref': {
        const definition = specDatabase().get('typeDefinition', type.reference.$ref) as TypeDefinition;
        if (fn) {
          if (fn[0] !== 'Fn::FindInMap' && fn[0] !== 'Fn::ImportValue') add(resource, path, 'type', `expected a ${definition.name} structure, got ${fn[0]}`);
        } else if (value === null || typeof value !== 'object' || Array.isArray(value)) add(resource, path, 'type', `expected a ${definition.name} structure, got ${shapeOf(value)}`);
        else checkProperties(value as Record<string, unknown>, definition.properties, definition.name, resource, path);
        return;
      }
    }
  };

  const checkProperties = (value: Record<string, unknown>, properties: Record<string, { type: PropertyType; required?: boolean }>, owner: string, resource: string, path: string): void => {
    for (const [name, v] of Object.entries(value)) {
      const property = properties[name];
      if (!property) add(resource, `${path}.${name}`, 'property', `${owner} has no property ${name}`);
      else checkValue(v, property.type, resource, `${path}.${name}`);
    }
    for (const [name, property] of Object.entries(properties)) {
      if (property.required && (!(name in value) || isNoValue(value[name]))) add(resource, `${path}.${name}`, 'required', `${owner} requires ${name}`);
    }
  };

  for (const [id, r] of Object.entries(resources)) {
    const at = `Resources.${id}`;
    for (const key of Object.keys(r)) if (!RESOURCE_ATTRIBUTES.has(key)) add(id, `${at}.${key}`, 'attribute', `"${key}" is not a resource attribute`);
    for (const key of ['DeletionPolicy', 'UpdateReplacePolicy'] as const) {
      const v = r[key];
      if (v !== undefined && !DELETION_POLICIES.has(String(v))) add(id, `${at}.${key}`, 'type', `${key} is one of ${[...DELETION_POLICIES].join(', ')}, not ${JSON.stringify(v)}`);
    }
    if (r.Condition !== undefined && !(String(r.Condition) in conditions)) add(id, `${at}.Condition`, 'condition', `condition ${String(r.Condition)} is not defined`);
    for (const dep of r.DependsOn === undefined ? [] : Array.isArray(r.DependsOn) ? r.DependsOn : [r.DependsOn]) {
      if (!(String(dep) in resources)) add(id, `${at}.DependsOn`, 'ref', `DependsOn ${String(dep)}: no such resource`);
    }
    checkRefs(r.Properties ?? {}, id, `${at}.Properties`);
    if (typeof r.Type !== 'string') {
      add(id, `${at}.Type`, 'type', 'a resource needs a Type');
      continue;
    }
    if (r.Type.startsWith('Custom::') || r.Type === 'AWS::CloudFormation::CustomResource') continue;
    const type = resourceSpec(r.Type);
    if (!type) {
      add(id, `${at}.Type`, 'type', `${r.Type} is not a CloudFormation resource type`);
      continue;
    }
    const props = r.Properties ?? {};
    if (props === null || typeof props !== 'object' || Array.isArray(props)) add(id, `${at}.Properties`, 'type', `Properties must be an object, got ${shapeOf(props)}`);
    else checkProperties(props as Record<string, unknown>, type.properties, r.Type, id, `${at}.Properties`);
  }
  for (const [name, output] of Object.entries(template.Outputs ?? {})) {
    if (output === null || typeof output !== 'object' || !('Value' in output)) add(`Outputs.${name}`, `Outputs.${name}.Value`, 'required', 'an output needs a Value');
    checkRefs(output, `Outputs.${name}`, `Outputs.${name}`);
  }
  for (const [name, condition] of Object.entries(conditions)) checkRefs(condition, `Conditions.${name}`, `Conditions.${name}`);
  return findings;
}
