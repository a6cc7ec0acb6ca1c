// Bundles the browser code into ../static/build; copies bpmn-js's CSS and fonts beside it.
import { build } from "esbuild";
import { cpSync, mkdirSync } from "node:fs";

const out = new URL("../static/build/", import.meta.url).pathname;
mkdirSync(out, { recursive: true });
await build({
  entryPoints: { viewer: "src/viewer.js", charts: "src/charts.js", designer: "src/designer/index.js" },
  bundle: true, minify: true, format: "iife", target: "es2019", outdir: out, legalComments: "linked",
  jsx: "automatic", jsxImportSource: "@bpmn-io/properties-panel/preact", loader: { ".js": "jsx" },
});
const assets = [
  "bpmn-js/dist/assets/diagram-js.css", "bpmn-js/dist/assets/bpmn-js.css", "bpmn-js/dist/assets/bpmn-font/css/bpmn-embedded.css",
  "@bpmn-io/properties-panel/dist/assets/properties-panel.css", "bpmn-js-bpmnlint/dist/assets/css/bpmn-js-bpmnlint.css",
];
for (const f of assets) {
  cpSync(new URL(`node_modules/${f}`, import.meta.url), `${out}/${f.split("/").pop()}`);
}
console.log("built", out);
