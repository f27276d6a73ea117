/** What the validator reports: where (the resource and the path into the template) and what. */
export interface Finding {
  /** The logical id of the resource (or `Outputs.X`, `Conditions.X`). */
  readonly resource: string;
  /** The path into the template, e.g. `Resources.HostsTable.Properties.KeySchema[0].KeyType`. */
  readonly path: string;
  /** Which check: type, property, required, getatt, ref, condition, action, arn... */
  readonly check: string;
  readonly message: string;
}

export interface TemplateResource {
  readonly Type: string;
  readonly Properties?: Record<string, unknown>;
  readonly DependsOn?: string | string[];
  readonly Condition?: string;
  readonly DeletionPolicy?: string;
  readonly UpdateReplacePolicy?: string;
  readonly [attribute: string]: unknown;
}

export interface Template {
  readonly Conditions?: Record<string, unknown>;
  readonly Parameters?: Record<string, unknown>;
  readonly Resources?: Record<string, TemplateResource>;
  readonly Outputs?: Record<string, unknown>;
  readonly [section: string]: unknown;
}

export const formatFinding = (f: Finding): string => `✗ ${f.path}: ${f.message} [${f.check}]`;
