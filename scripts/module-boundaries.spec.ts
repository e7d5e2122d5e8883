import { execFileSync } from 'node:child_process';
import path from 'node:path';

/**
 * The module boundaries of eslint.config.mjs hold: each import below, linted as if it were a line of
 * the named file, fails `nx lint` with the message shown, or passes when no message is expected.
 */
const root = path.resolve(__dirname, '..');

type Case = [file: string, importLine: string, problem: RegExp | undefined];

const cases: Case[] = [
  // apps never import apps
  [
    'apps/gateway/src/probe.ts',
    "import { OrderManagementEnv } from '@orderline/order-management/src/config';",
    /Imports of apps are forbidden/,
  ],
  ['apps/gateway/src/probe.ts', "import { OrderManagementEnv } from '../../order-management/src/config';", /relative or absolute path/],
  // the test tooling only from specs, e2e and tooling
  [
    'apps/gateway/src/probe.ts',
    "import { signToken } from '@orderline/testing';",
    /"type:app" can only depend on libs tagged with "type:lib"/,
  ],
  [
    'libs/messaging/src/probe.ts',
    "import { waitFor } from '@orderline/dev-tools';",
    /"type:lib" can only depend on libs tagged with "type:lib"/,
  ],
  ['apps/gateway/src/probe.spec.ts', "import { signToken } from '@orderline/testing';", undefined],
  ['apps/orderline-e2e/src/probe.spec.ts', "import { startSystem } from '@orderline/testing';", undefined],
  ['scripts/probe.ts', "import { startSystem } from '@orderline/dev-tools';", undefined],
  // only libs/messaging imports kafkajs
  ['apps/order-management/src/probe.ts', "import type { Kafka } from 'kafkajs';", /"driver:none" is not allowed to import "kafkajs"/],
  ['libs/db/src/probe.ts', "import { Kafka } from 'kafkajs';", /"driver:postgres" is not allowed to import "kafkajs"/],
  ['libs/messaging/src/probe.ts', "import { Kafka } from 'kafkajs';", undefined],
  ['apps/order-management/src/probe.ts', "import type { Kafka } from '@orderline/messaging';", undefined],
  // only libs/db imports Prisma and pg
  ['apps/inventory-service/src/probe.ts', "import pg from 'pg';", /"driver:none" is not allowed to import "pg"/],
  [
    'libs/contracts/src/probe.ts',
    "import { PrismaClient } from '@prisma/client';",
    /"driver:none" is not allowed to import "@prisma\/client"/,
  ],
  ['libs/messaging/src/probe.ts', "import pg from 'pg';", /"driver:kafka" is not allowed to import "pg"/],
  ['libs/db/src/probe.ts', "import pg from 'pg';", undefined],
  // only libs/tracing imports OpenTelemetry
  [
    'apps/gateway/src/probe.ts',
    "import { trace } from '@opentelemetry/api';",
    /"driver:none" is not allowed to import "@opentelemetry\/api"/,
  ],
  [
    'libs/messaging/src/probe.ts',
    "import { trace } from '@opentelemetry/api';",
    /"driver:kafka" is not allowed to import "@opentelemetry\/api"/,
  ],
  ['libs/tracing/src/probe.ts', "import { trace } from '@opentelemetry/api';", undefined],
  ['libs/tracing/src/probe.ts', "import { Kafka } from 'kafkajs';", /"driver:otel" is not allowed to import "kafkajs"/],
  // the gateway owns no table: nothing it imports may lead to libs/db
  [
    'apps/gateway/src/probe.ts',
    "import { openDatabase } from '@orderline/db';",
    /"scope:gateway" can not depend on libs tagged with "driver:postgres"/,
  ],
  ['apps/order-management/src/probe.ts', "import { openDatabase } from '@orderline/db';", undefined],
];

/** Lints each case with the workspace's ESLint config (in a child process: the config is an ES module). */
function lintCases(): string[][] {
  const probe = `
    import { ESLint } from 'eslint';
    const cases = JSON.parse(process.argv[1]);
    const eslint = new ESLint({ cwd: process.cwd() });
    const found = [];
    for (const [file, line] of cases) {
      const [result] = await eslint.lintText(line + '\\nexport const used = 1;\\n', { filePath: file });
      found.push(result.messages.filter((m) => m.ruleId === '@nx/enforce-module-boundaries' || m.fatal).map((m) => m.message));
    }
    process.stdout.write(JSON.stringify(found));
  `;
  const output = execFileSync(process.execPath, ['--input-type=module', '-e', probe, JSON.stringify(cases)], {
    cwd: root,
    env: { ...process.env, NX_DAEMON: 'false' },
    encoding: 'utf8',
  });
  return JSON.parse(output) as string[][];
}

describe('module boundaries (eslint.config.mjs)', () => {
  const found = lintCases();

  it.each(cases.map((testCase, i) => [...testCase, i] as const))('%s: %s', (_file, _line, problem, i) => {
    const messages = found[i] ?? [];
    if (problem === undefined) expect(messages).toEqual([]);
    else expect(messages.join('\n')).toMatch(problem);
  });
});
