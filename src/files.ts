import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * A file that ships beside the code (migrations, an adapter's page assets or
 * app manifest), found from the package's root: the code runs from the
 * sources (tests) and from the build in dist/, which holds only JavaScript.
 */
export function packageFile(...path: string[]): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, "package.json"))) {
    if (dirname(dir) === dir) throw new Error(`no package.json above ${fileURLToPath(import.meta.url)}`);
    dir = dirname(dir);
  }
  return join(dir, ...path);
}
