/**
 * The recorded message samples the contract test reads (libs/contracts/fixtures; rules in
 * docs/architecture.md#changing-a-message).
 *   npm run fixtures -- record <Type> <payload.json | ->   record a sample of <Type>'s current version
 *                                                        (a reply type `<Request>Reply`: the result);
 *                                                        never over a recorded one unless --force
 *   npm run fixtures -- schema <Type>                     record the current version's schema again
 *                                                        (after a compatible change in place)
 *   npm run fixtures -- check                             what the contract test would report
 */
import { mkdirSync, readFileSync, readdirSync, writeFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import * as contracts from '@orderline/contracts';
import {
  contractsIn,
  fixtureEnvelope,
  fixtureName,
  fixtureProblems,
  fixtureSides,
  schemaRecordOf,
  type FixtureFile,
} from '@orderline/contracts';

const FIXTURES = path.resolve(__dirname, '../libs/contracts/fixtures');

export function readFixtureFiles(dir = FIXTURES): FixtureFile[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((name) => name.endsWith('.json'))
    .sort()
    .map((name) => ({ name: name.split(path.sep).join('/'), json: JSON.parse(readFileSync(path.join(dir, name), 'utf8')) }));
}

function write(name: string, json: unknown): void {
  const file = path.join(FIXTURES, name);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(json, null, 2)}\n`);
  console.log(`wrote ${path.relative(process.cwd(), file)}`);
}

function main(args: string[]): number {
  const [command, type, source] = args.filter((arg) => !arg.startsWith('--'));
  const sides = fixtureSides(contractsIn(Object.values(contracts)));
  if (command === 'check') {
    const problems = fixtureProblems(contractsIn(Object.values(contracts)), readFixtureFiles());
    for (const problem of problems) console.error(`- ${problem}`);
    if (problems.length === 0) console.log('every message type has its samples, and they read');
    return problems.length === 0 ? 0 : 1;
  }
  const side = sides.find((s) => s.payload.type === type);
  if ((command !== 'record' && command !== 'schema') || !side || (command === 'record' && !source)) {
    console.error('usage: npm run fixtures -- record <Type> <payload.json | -> [--force] | schema <Type> | check');
    if (type && !side)
      console.error(`no contract sends ${type}; types: ${[...new Set(sides.map((s) => s.payload.type))].sort().join(', ')}`);
    return 2;
  }
  const { version, schema } = side.payload;
  if (command === 'record') {
    const sample = fixtureName(type, version, 'sample');
    if (existsSync(path.join(FIXTURES, sample)) && !args.includes('--force')) {
      console.error(
        `${sample} is recorded already: a recorded sample stands for what producers of version ${version} sent (--force to replace it)`,
      );
      return 1;
    }
    const parsed = schema.safeParse(JSON.parse(readFileSync(source === '-' ? 0 : source, 'utf8')));
    if (!parsed.success) {
      console.error(`not a ${type} of version ${version}: ${parsed.error.message}`);
      return 1;
    }
    // as producers send it: parsed (defaults filled in, unknown fields dropped)
    write(sample, fixtureEnvelope(side, parsed.data));
  }
  write(fixtureName(type, version, 'schema'), schemaRecordOf(schema));
  return 0;
}

if (require.main === module) process.exit(main(process.argv.slice(2)));
