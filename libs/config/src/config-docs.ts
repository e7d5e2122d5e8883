import { z } from 'zod';

/**
 * The configuration reference (docs/configuration.md) is generated from the apps' env schemas:
 * `configTable({ gateway: GatewayEnv, … })` renders one markdown row per variable, and
 * `configDocProblems(markdown, app, schema)` tells whether a document still says what one app's
 * schema says (scripts/docs-config.spec.ts runs it for every app).
 *
 * Every variable needs a `.describe('…')` (on the outermost schema of the field, i.e. after
 * `.default()` / `.transform()` / `.pipe()`): that text is its description.
 */

/** An app's env schema: a zod object whose keys are the variables. */
export type EnvSchema = z.ZodObject;

/** One variable as one app's schema defines it. */
export interface VariableDoc {
  name: string;
  /** the default as it would be written in the environment, or undefined */
  defaultValue: string | undefined;
  /** optional without a default (the app then decides), or required */
  optional: boolean;
  format: string;
  description: string;
}

/** Separates per-app values in a cell when the apps differ (e.g. HEALTH_PORT's defaults). */
const PER_APP_SEPARATOR = '<br>';
const ALL_APPS = 'all';
const HEADER = ['variable', 'apps', 'default', 'allowed values / format', 'description'];

type JsonSchema = {
  type?: string | string[];
  enum?: unknown[];
  const?: unknown;
  default?: unknown;
  description?: string;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  format?: string;
  anyOf?: JsonSchema[];
};

const code = (value: unknown) => `\`${String(value)}\``;

/** What the environment may hold, from the field's JSON Schema as an input. */
function formatOf(schema: JsonSchema): string {
  if (schema.anyOf) return schema.anyOf.map(formatOf).join(' or ');
  if (schema.enum) return schema.enum.map(code).join(', ');
  if (schema.const !== undefined) return code(schema.const);
  const type = Array.isArray(schema.type) ? schema.type.join(' or ') : (schema.type ?? 'any');
  const bounded = (n: number | undefined) => (n !== undefined && Number.isSafeInteger(n) ? n : undefined);
  if (type === 'integer' || type === 'number') {
    const min = bounded(schema.minimum) ?? bounded(schema.exclusiveMinimum);
    const max = bounded(schema.maximum) ?? bounded(schema.exclusiveMaximum);
    if (min !== undefined && max !== undefined) return `${type} ${min}–${max}`;
    if (min !== undefined) return `${type} ≥ ${min}`;
    if (max !== undefined) return `${type} ≤ ${max}`;
    return type;
  }
  if (type === 'boolean') return '`true`, `false`';
  const parts = [type];
  if (schema.format) parts.push(schema.format);
  const { minLength: min, maxLength: max } = schema;
  if (min !== undefined && max !== undefined) parts.push(`${min}–${max} characters`);
  else if (min !== undefined) parts.push(`at least ${min} characters`);
  else if (max !== undefined) parts.push(`at most ${max} characters`);
  if (schema.pattern) parts.push(`matching ${code(schema.pattern)}`);
  return parts.join(', ');
}

/** The variables of one app's schema, in schema order. Throws when one has no description. */
export function describeVariables(schema: EnvSchema): VariableDoc[] {
  return Object.entries(schema.shape).map(([name, field]) => {
    const json = z.toJSONSchema(field as z.ZodType, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
    const description = json.description ?? (field as z.ZodType).description;
    if (!description) throw new Error(`${name} has no .describe('…'): every variable needs one for docs/configuration.md`);
    return {
      name,
      defaultValue: json.default === undefined ? undefined : String(json.default),
      optional: (field as z.ZodType).safeParse(undefined).success,
      format: formatOf(json),
      description,
    };
  });
}

const defaultCell = (v: VariableDoc) => (v.defaultValue !== undefined ? code(v.defaultValue) : v.optional ? '—' : 'required');

/** A cell's text, safe inside a markdown table row. */
const escapeCell = (text: string) => text.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');

/** One value when every app agrees, else `value (app, app)` per distinct value. */
function perApp(values: [app: string, value: string][]): string {
  const distinct = [...new Set(values.map(([, value]) => value))];
  if (distinct.length === 1) return distinct[0] as string;
  return distinct
    .map(
      (value) =>
        `${value} (${values
          .filter(([, v]) => v === value)
          .map(([app]) => app)
          .join(', ')})`,
    )
    .join(PER_APP_SEPARATOR);
}

/**
 * The markdown table: variable | apps | default | allowed values / format | description, one row
 * per variable in the order they first appear (schemas in the order given).
 */
export function configTable(schemas: Record<string, EnvSchema>): string {
  const apps = Object.keys(schemas);
  const byName = new Map<string, [app: string, doc: VariableDoc][]>();
  for (const app of apps) {
    for (const doc of describeVariables(schemas[app] as EnvSchema)) byName.set(doc.name, [...(byName.get(doc.name) ?? []), [app, doc]]);
  }
  const rows = [...byName].map(([name, docs]) => [
    code(name),
    docs.length === apps.length ? ALL_APPS : docs.map(([app]) => app).join(', '),
    perApp(docs.map(([app, doc]) => [app, defaultCell(doc)])),
    perApp(docs.map(([app, doc]) => [app, doc.format])),
    perApp(docs.map(([app, doc]) => [app, doc.description])),
  ]);
  return [HEADER, HEADER.map(() => '---'), ...rows].map((cells) => `| ${cells.map(escapeCell).join(' | ')} |`).join('\n') + '\n';
}

/** The rows of the first table whose header is configTable's, as unescaped cells. */
export function parseConfigTable(markdown: string): string[][] {
  const lines = markdown.split(/\r?\n/);
  const splitRow = (line: string) =>
    line
      .trim()
      .replace(/^\|/, '')
      .replace(/\|$/, '')
      .split(/(?<!\\)\|/)
      .map((cell) => cell.trim().replace(/\\\|/g, '|'));
  const start = lines.findIndex((line) => line.trim().startsWith('|') && splitRow(line).join('|') === HEADER.join('|'));
  if (start < 0) return [];
  const rows: string[][] = [];
  for (const line of lines.slice(start + 2)) {
    if (!line.trim().startsWith('|')) break;
    rows.push(splitRow(line));
  }
  return rows;
}

/** Whether a cell says `expected` for `app`: the whole cell, or its `expected (…app…)` part. */
function cellSays(cell: string, app: string, expected: string): boolean {
  if (cell === expected) return true;
  return cell.split(PER_APP_SEPARATOR).some((part) => {
    const open = part.lastIndexOf(' (');
    return (
      open >= 0 &&
      part.endsWith(')') &&
      part.slice(0, open) === expected &&
      part
        .slice(open + 2, -1)
        .split(', ')
        .includes(app)
    );
  });
}

/**
 * How `markdown` (docs/configuration.md) differs from what configTable would write for `app`:
 * a variable missing, a cell that says something else, or a row naming `app` (or `all`) for a
 * variable its schema does not have. Empty when the document is up to date for this app.
 */
export function configDocProblems(markdown: string, app: string, schema: EnvSchema): string[] {
  const rows = parseConfigTable(markdown);
  if (rows.length === 0) return [`no configuration table (header: ${HEADER.join(' | ')})`];
  const problems: string[] = [];
  const variables = describeVariables(schema);
  const names = new Set(variables.map((v) => v.name));
  for (const v of variables) {
    const row = rows.find((cells) => cells[0] === code(v.name));
    if (!row) {
      problems.push(`${v.name}: no row`);
      continue;
    }
    const [, apps = '', defaultText = '', format = '', description = ''] = row;
    if (apps !== ALL_APPS && !apps.split(', ').includes(app)) problems.push(`${v.name}: apps column "${apps}" does not name ${app}`);
    const checks: [string, string, string][] = [
      ['default', defaultText, defaultCell(v)],
      ['allowed values / format', format, v.format],
      ['description', description, v.description],
    ];
    for (const [column, cell, expected] of checks) {
      if (!cellSays(cell, app, expected)) problems.push(`${v.name}: ${column} is "${cell}", the schema says "${expected}"`);
    }
  }
  for (const [variable = '', apps = ''] of rows) {
    const name = variable.replace(/^`|`$/g, '');
    if ((apps === ALL_APPS || apps.split(', ').includes(app)) && !names.has(name)) {
      problems.push(`${name}: documented for ${app} (apps "${apps}"), but ${app}'s schema has no such variable`);
    }
  }
  return problems;
}
