import nx from '@nx/eslint-plugin';

/*
 * Module boundaries, by project tag (project.json):
 *   type:    app (the five services), lib (what they are built from), tooling (libs/testing,
 *            libs/dev-tools, scripts), e2e (apps/orderline-e2e)
 *   scope:   gateway | orders | customers | inventory | notifications (one app each) | shared
 *   driver:  the client library a project may import: kafka (libs/messaging owns kafkajs),
 *            postgres (libs/db owns Prisma and pg), otel (libs/tracing owns OpenTelemetry),
 *            none (every other app and lib)
 * Apps import libs only, never another app; libs import libs only; the test and dev tooling may
 * be imported by specs, e2e and tooling, never by code that ships. The gateway owns no table, so
 * nothing it depends on may reach libs/db (its bundle then holds no Prisma).
 * scripts/module-boundaries.spec.ts shows a violation of each rule failing lint.
 */
const KAFKA_CLIENT = ['kafkajs'];
const DATABASE_CLIENT = ['pg', '@prisma/*', 'prisma'];
const TRACING_CLIENT = ['@opentelemetry/*'];
const SCOPES = ['gateway', 'orders', 'customers', 'inventory', 'notifications'];

/** What a project may depend on; spec files may also use the test tooling. */
function dependencyRules({ inSpecs }) {
  const tooling = inSpecs ? ['type:tooling'] : [];
  return [
    'error',
    {
      enforceBuildableLibDependency: true,
      allow: ['^.*/eslint(\\.base)?\\.config\\.[cm]?[jt]s$'],
      depConstraints: [
        { sourceTag: 'type:app', onlyDependOnLibsWithTags: ['type:lib', ...tooling] },
        { sourceTag: 'type:lib', onlyDependOnLibsWithTags: ['type:lib', ...tooling] },
        { sourceTag: 'type:tooling', onlyDependOnLibsWithTags: ['type:lib', 'type:tooling'] },
        { sourceTag: 'type:e2e', onlyDependOnLibsWithTags: ['type:lib', 'type:tooling'] },
        ...SCOPES.map((scope) => ({ sourceTag: `scope:${scope}`, onlyDependOnLibsWithTags: [`scope:${scope}`, 'scope:shared'] })),
        { sourceTag: 'scope:shared', onlyDependOnLibsWithTags: ['scope:shared'] },
        { sourceTag: 'driver:none', bannedExternalImports: [...KAFKA_CLIENT, ...DATABASE_CLIENT, ...TRACING_CLIENT] },
        { sourceTag: 'driver:kafka', bannedExternalImports: [...DATABASE_CLIENT, ...TRACING_CLIENT] },
        { sourceTag: 'driver:postgres', bannedExternalImports: [...KAFKA_CLIENT, ...TRACING_CLIENT] },
        { sourceTag: 'driver:otel', bannedExternalImports: [...KAFKA_CLIENT, ...DATABASE_CLIENT] },
        ...(inSpecs ? [] : [{ sourceTag: 'scope:gateway', notDependOnLibsWithTags: ['driver:postgres'] }]),
      ],
    },
  ];
}

export default [
  ...nx.configs['flat/base'],
  ...nx.configs['flat/typescript'],
  ...nx.configs['flat/javascript'],
  {
    ignores: ['**/dist', '**/out-tsc'],
  },
  {
    files: ['**/*.ts', '**/*.tsx', '**/*.js', '**/*.jsx'],
    rules: {
      '@nx/enforce-module-boundaries': dependencyRules({ inSpecs: false }),
    },
  },
  {
    // specs, and the component layer's test harnesses (src/component/: test code, never built into an app)
    files: ['**/*.spec.ts', '**/*.test.ts', '**/src/component/**/*.ts'],
    rules: {
      '@nx/enforce-module-boundaries': dependencyRules({ inSpecs: true }),
    },
  },
  {
    files: ['**/*.ts', '**/*.tsx', '**/*.cts', '**/*.mts', '**/*.js', '**/*.jsx', '**/*.cjs', '**/*.mjs'],
    rules: {
      '@typescript-eslint/no-unused-vars': ['warn', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', ignoreRestSiblings: true }],
    },
  },
];
