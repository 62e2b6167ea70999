/**
 * `npm run bench [-- NAME...]`: runs bench/NAME.bench.ts (all when none is named) and writes each
 * report to bench/reports/NAME.json. Every figure that matters is a ratio against a peer measured in
 * the same run, because the machines are shared and noisy.
 */
import { mkdir, readdir, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

export interface BenchModule {
  run(): Promise<Record<string, unknown>>;
}

const here = dirname(fileURLToPath(import.meta.url));
const wanted = process.argv.slice(2);
const available = (await readdir(here))
  .filter((f) => f.endsWith(".bench.ts"))
  .map((f) => f.replace(".bench.ts", ""));
const names = wanted.length ? wanted : available;
const unknown = names.filter((n) => !available.includes(n));
if (unknown.length) {
  console.error(`unknown benchmark(s): ${unknown.join(", ")}; available: ${available.join(", ")}`);
  process.exit(2);
}
await mkdir(join(here, "reports"), { recursive: true });
for (const name of names) {
  console.error(`bench ${name}: running`);
  const mod = (await import(pathToFileURL(join(here, `${name}.bench.ts`)).href)) as BenchModule;
  const report = { name, date: new Date().toISOString(), node: process.version, ...(await mod.run()) };
  const out = join(here, "reports", `${name}.json`);
  await writeFile(out, `${JSON.stringify(report, null, 2)}\n`);
  console.log(JSON.stringify(report, null, 2));
  console.error(`bench ${name}: report written to ${out}`);
}
