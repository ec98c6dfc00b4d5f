#!/usr/bin/env node
// Runs the build in dist/, which `npm ci` makes from the TypeScript sources (the prepare script).
const cli = new URL("../dist/app/cli.js", import.meta.url);
try {
  await import(cli.href);
} catch (error) {
  if (error?.code !== "ERR_MODULE_NOT_FOUND" || !String(error.message).includes(cli.pathname)) throw error;
  console.error("Steps is not built yet: run `npm ci` (or `npm run build` after changing the code).");
  process.exitCode = 1;
}
