import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";

// Compiled to build-test/test/: the package's directory is two levels up.
const packageDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");

test("docs/zego-compat.md is what ZEGO's typings say of this client today (node compat/zego-compat.mjs rewrites it)", () => {
  const run = spawnSync(process.execPath, [path.join(packageDir, "compat", "zego-compat.mjs"), "--check"], { cwd: packageDir, encoding: "utf8", timeout: 120_000 });
  assert.equal(run.status, 0, `the compatibility check failed:\n${run.stdout}\n${run.stderr}`);
  assert.match(run.stdout, /is up to date/);
});
