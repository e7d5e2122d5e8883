/**
 * `npm run docs:config`: writes docs/configuration.md from the four apps' env schemas (see
 * config-document.ts); run it again after changing a schema.
 *   npm run docs:config            write the file
 *   npm run docs:config -- --check exit 1 (writing nothing) when the file is not up to date
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { CONFIG_DOCUMENT_PATH, configDocument } from './config-document';

const target = CONFIG_DOCUMENT_PATH;
const document = configDocument();

if (process.argv.includes('--check')) {
  let current = '';
  try {
    current = readFileSync(target, 'utf8');
  } catch {
    // missing: not up to date
  }
  if (current !== document) {
    console.error(`${path.relative(process.cwd(), target)} is not up to date: run npm run docs:config`);
    process.exit(1);
  }
  console.log(`${path.relative(process.cwd(), target)} is up to date`);
} else {
  writeFileSync(target, document);
  console.log(`wrote ${path.relative(process.cwd(), target)}`);
}
