// Bundle sizes: a program that connects and lists VMs vs the whole SDK. Each program is
// bundled on its own, as its author would (esbuild, minified, ESM, platform node).
// `npm run bench:bundle` builds dist/ first.
import { build } from "esbuild";

async function size(entry) {
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    minify: true,
    format: "esm",
    platform: "node",
    write: false,
    metafile: true,
    logLevel: "warning",
  });
  const out = Object.values(result.metafile.outputs)[0];
  const codecs = Object.entries(out.inputs)
    .filter(([file]) => file.startsWith("dist/generated/"))
    .reduce((n, [, v]) => n + v.bytesInOutput, 0);
  return { bytes: out.bytes, codecs };
}

const programs = [
  ["whole SDK (export * from 'esx-vi')", "bench/bundle/whole.mjs"],
  ["list VMs, 'esx-vi' (all types by default)", "bench/bundle/list-vms.mjs"],
  ["list VMs, 'esx-vi/lean' (VirtualMachine types)", "bench/bundle/list-vms-lean.mjs"],
];
const rows = [];
for (const [label, entry] of programs) rows.push([label, await size(entry)]);
const whole = rows[0][1].bytes;
console.log(
  `${"program".padEnd(48)} ${"bytes".padStart(10)} ${"generated/".padStart(11)}  of whole`,
);
for (const [label, { bytes, codecs }] of rows) {
  console.log(
    `${label.padEnd(48)} ${String(bytes).padStart(10)} ${String(codecs).padStart(11)}  ${((bytes / whole) * 100).toFixed(1)}%`,
  );
}
