import { z } from 'zod';
import { configDocProblems, configTable, describeVariables, parseConfigTable } from './config-docs';
import { CommonEnv, DatabaseEnv } from './load-config';

const Api = CommonEnv.pick({ LOG_LEVEL: true, KAFKA_BROKERS: true }).extend({
  PORT: z.coerce.number().int().min(1).max(65_535).default(3000).describe('HTTP port'),
  SECRET: z.string().min(16).describe('signing key, a | b'),
});
const Worker = CommonEnv.pick({ LOG_LEVEL: true, KAFKA_BROKERS: true }).extend({
  PORT: z.coerce.number().int().min(1).max(65_535).default(3001).describe('HTTP port'),
  TAG: z.string().max(10).optional().describe('free text'),
});
const schemas = { api: Api, worker: Worker };

describe('describeVariables', () => {
  it('keeps the description of a field that has .default, .transform, .pipe or .refine', () => {
    for (const schema of [CommonEnv, DatabaseEnv]) {
      for (const variable of describeVariables(schema)) expect(variable.description).toMatch(/\w/);
    }
    const brokers = describeVariables(CommonEnv).find((v) => v.name === 'KAFKA_BROKERS');
    expect(brokers).toMatchObject({ defaultValue: '127.0.0.1:9092', format: 'string' });
    const url = describeVariables(DatabaseEnv).find((v) => v.name === 'DATABASE_URL');
    expect(url?.defaultValue).toBe('postgresql://orderline:orderline@127.0.0.1:5432/orderline');
  });

  it('describing leaves parsing as it was', () => {
    expect(CommonEnv.extend(DatabaseEnv.shape).parse({ KAFKA_BROKERS: 'a:1, b:2', DATABASE_POOL_SIZE: '3' })).toMatchObject({
      KAFKA_BROKERS: ['a:1', 'b:2'],
      DATABASE_POOL_SIZE: 3,
      REQUEST_TIMEOUT_MS: 5000,
    });
    expect(DatabaseEnv.safeParse({ DATABASE_URL: 'mysql://x' }).success).toBe(false);
  });

  it('refuses a variable without a description', () => {
    expect(() => describeVariables(z.object({ UNDESCRIBED: z.string().default('x') }))).toThrow(/UNDESCRIBED has no \.describe/);
  });
});

describe('configTable', () => {
  it('renders one row per variable: apps, default (per app when they differ), format, description', () => {
    expect(configTable(schemas)).toBe(
      [
        '| variable | apps | default | allowed values / format | description |',
        '| --- | --- | --- | --- | --- |',
        `| \`LOG_LEVEL\` | all | \`info\` | \`error\`, \`warn\`, \`info\`, \`http\`, \`verbose\`, \`debug\`, \`silly\` | ${CommonEnv.shape.LOG_LEVEL.description} |`,
        `| \`KAFKA_BROKERS\` | all | \`127.0.0.1:9092\` | string | ${CommonEnv.shape.KAFKA_BROKERS.description} |`,
        '| `PORT` | all | `3000` (api)<br>`3001` (worker) | integer 1–65535 | HTTP port |',
        '| `SECRET` | api | required | string, at least 16 characters | signing key, a \\| b |',
        '| `TAG` | worker | — | string, at most 10 characters | free text |',
        '',
      ].join('\n'),
    );
  });

  it('parses back to its cells', () => {
    const rows = parseConfigTable(`# Title\n\ntext\n\n${configTable(schemas)}\nmore text\n`);
    expect(rows.map((row) => row[0])).toEqual(['`LOG_LEVEL`', '`KAFKA_BROKERS`', '`PORT`', '`SECRET`', '`TAG`']);
    expect(rows[3]).toEqual(['`SECRET`', 'api', 'required', 'string, at least 16 characters', 'signing key, a | b']);
  });
});

describe('configDocProblems', () => {
  const doc = `# Configuration\n\n${configTable(schemas)}`;

  it('finds nothing in a document generated from the same schemas', () => {
    expect(configDocProblems(doc, 'api', Api)).toEqual([]);
    expect(configDocProblems(doc, 'worker', Worker)).toEqual([]);
  });

  it('finds a changed default, format or description', () => {
    expect(
      configDocProblems(doc, 'worker', Worker.extend({ PORT: Worker.shape.PORT.unwrap().default(4000).describe('HTTP port') })),
    ).toEqual(['PORT: default is "`3000` (api)<br>`3001` (worker)", the schema says "`4000`"']);
    expect(configDocProblems(doc, 'api', Api.extend({ SECRET: z.string().min(32).describe('signing key, a | b') }))).toEqual([
      'SECRET: allowed values / format is "string, at least 16 characters", the schema says "string, at least 32 characters"',
    ]);
    expect(configDocProblems(doc, 'worker', Worker.extend({ TAG: z.string().max(10).optional().describe('a label') }))).toEqual([
      'TAG: description is "free text", the schema says "a label"',
    ]);
  });

  it('finds a variable added to or removed from a schema', () => {
    expect(configDocProblems(doc, 'api', Api.extend({ NEW_ONE: z.string().default('x').describe('new') }))).toEqual(['NEW_ONE: no row']);
    expect(configDocProblems(doc, 'worker', Worker.omit({ TAG: true }))).toEqual([
      'TAG: documented for worker (apps "worker"), but worker\'s schema has no such variable',
    ]);
    expect(configDocProblems(doc, 'worker', Worker.omit({ KAFKA_BROKERS: true }))).toEqual([
      'KAFKA_BROKERS: documented for worker (apps "all"), but worker\'s schema has no such variable',
    ]);
  });

  it('finds a row that does not name the app, and a document without the table', () => {
    expect(configDocProblems(doc, 'worker', Worker.extend({ SECRET: Api.shape.SECRET }))).toEqual([
      'SECRET: apps column "api" does not name worker',
    ]);
    expect(configDocProblems('# Configuration\n', 'api', Api)).toEqual([
      'no configuration table (header: variable | apps | default | allowed values / format | description)',
    ]);
  });
});
