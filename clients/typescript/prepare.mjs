// npm's `prepare` script: compiles src/ into dist/ with the TypeScript of package-lock.json.
//
// npm runs `prepare` in this folder for `npm pack`, `npm install` here, and for a user's
// `npm install <path>/clients/typescript` (a directory install, linked or packed), but in
// the last case it installs none of this folder's dependencies first: on a fresh clone there
// is no node_modules/ and no `tsc`. So when TypeScript is missing this script first runs
// `npm ci --ignore-scripts` here (which also gives a linked install the runtime dependencies
// it imports), with npm's inherited settings removed so that the nested npm installs into
// this folder, dev dependencies included, and not into the user's project.
import { spawnSync } from "node:child_process";
import { existsSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const tsc = join(here, "node_modules", "typescript", "bin", "tsc");

/** Runs a command in this folder, echoing its output; exits with its status when it fails. */
function run(command, args, env = process.env) {
  const result = spawnSync(command, args, { cwd: here, env, stdio: "inherit" });
  if (result.error) throw result.error;
  if (result.status !== 0) {
    console.error(`prepare: ${[command, ...args].join(" ")} failed (exit ${result.status ?? result.signal})`);
    process.exit(result.status ?? 1);
  }
}

// Settings a user's npm passes to its scripts that are about where and what to install
// (npm_config_local_prefix is the user's project, npm_config_omit may drop TypeScript):
// the nested install keeps only those about how to reach the registry.
const kept = new Set([
  "cache",
  "userconfig",
  "globalconfig",
  "registry",
  "cafile",
  "ca",
  "strict_ssl",
  "proxy",
  "https_proxy",
  "noproxy",
]);
function registryOnlyEnvironment() {
  const env = {};
  for (const [name, value] of Object.entries(process.env)) {
    const setting = /^npm_config_(.*)$/i.exec(name)?.[1]?.toLowerCase();
    if (setting === undefined || kept.has(setting)) env[name] = value;
  }
  return env;
}

if (!existsSync(tsc)) {
  console.error("prepare: no TypeScript in node_modules/: npm ci --ignore-scripts (dependencies of package-lock.json)");
  const npm = process.env.npm_execpath;
  const args = ["ci", "--ignore-scripts", "--no-audit", "--no-fund"];
  if (npm) run(process.execPath, [npm, ...args], registryOnlyEnvironment());
  else run(process.platform === "win32" ? "npm.cmd" : "npm", args, registryOnlyEnvironment());
}
// A clean dist/: nothing compiled from a file that no longer exists is packed.
rmSync(join(here, "dist"), { recursive: true, force: true });
run(process.execPath, [tsc, "-p", "tsconfig.json"]);
