import path from 'node:path';
import { build, type Plugin } from 'esbuild';

/**
 * The gateway owns no table: its bundle must hold no Prisma client (2.6 MB of query-compiler wasm)
 * and require no database driver. Bundles main.ts the way `nx build gateway` does (workspace libs
 * inlined, npm packages left to `require`) and looks at what went in.
 */
describe('the gateway bundle', () => {
  it('holds nothing of libs/db, Prisma or pg', async () => {
    const required = new Set<string>();
    const npmPackagesStayExternal: Plugin = {
      name: 'npm-packages-stay-external',
      setup(builder) {
        builder.onResolve({ filter: /^[^./]/ }, ({ path: specifier }) => {
          if (specifier.startsWith('@orderline/')) return undefined;
          required.add(specifier);
          return { path: specifier, external: true };
        });
      },
    };
    const result = await build({
      entryPoints: [path.join(__dirname, 'main.ts')],
      bundle: true,
      platform: 'node',
      format: 'cjs',
      write: false,
      metafile: true,
      logLevel: 'silent',
      plugins: [npmPackagesStayExternal],
    });
    const workspaceRoot = path.resolve(__dirname, '../../..');
    const inputs = Object.keys(result.metafile.inputs).map((input) => path.relative(workspaceRoot, path.resolve(input)));

    expect(inputs).toEqual(
      expect.arrayContaining(['apps/gateway/src/main.ts', 'libs/runtime/src/index.ts', 'libs/messaging/src/index.ts']),
    );
    expect(inputs.filter((input) => /^libs\/db\/|prisma|generated/i.test(input))).toEqual([]);
    expect([...required].filter((specifier) => /^(@prisma\/|prisma$|pg$|pg\/)/.test(specifier))).toEqual([]);
  });
});
