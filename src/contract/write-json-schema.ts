/**
 * `npm run schema`: writes schema/*.json from the contract, so JVM callers build inputs the
 * worker accepts. The unit test json-schema.test.ts fails when a committed file is stale.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { renderDocument, schemaDocuments } from './json-schema';

// Compiled to dist/src/contract/: the package root is three levels up.
const target = path.resolve(process.argv[2] ?? path.join(__dirname, '../../../schema'));
mkdirSync(target, { recursive: true });
for (const [file, document] of Object.entries(schemaDocuments())) {
  writeFileSync(path.join(target, file), renderDocument(document));
  console.log(path.join(path.relative(process.cwd(), target), file));
}
