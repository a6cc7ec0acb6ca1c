// Bundles the browser code into ../static/build; copies bpmn-js's CSS and fonts beside it.
import { build } from "esbuild";
import { cpSync, mkdirSync } from "node:fs";

const out = new URL("../static/build/", import.meta.url).pathname;
mkdirSync(out, { recursive: true });
await build({
  entryPoints: { viewer: "src/viewer.js", charts: "src/charts.js" },
  bundle: true, minify: true, format: "iife", target: "es2019", outdir: out, legalComments: "linked",
});
for (const f of ["diagram-js.css", "bpmn-js.css", "bpmn-font/css/bpmn-embedded.css"]) {
  cpSync(new URL(`node_modules/bpmn-js/dist/assets/${f}`, import.meta.url), `${out}/${f.split("/").pop()}`);
}
console.log("built", out);
