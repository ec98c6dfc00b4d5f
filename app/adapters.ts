import { readdirSync, existsSync } from "node:fs";
import { fileURLToPath, pathToFileURL } from "node:url";
import { join } from "node:path";
import type { PlatformAdapter } from "../src/platform.ts";

const root = fileURLToPath(new URL("../adapters/", import.meta.url));

/** Every folder under adapters/ with an index.ts is a platform: no list to keep in sync. */
export async function discoverAdapters(): Promise<PlatformAdapter[]> {
  const names = existsSync(root) ? readdirSync(root, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name) : [];
  const adapters: PlatformAdapter[] = [];
  for (const name of names.sort()) {
    const entry = join(root, name, "index.ts");
    if (!existsSync(entry)) continue;
    const mod = (await import(pathToFileURL(entry).href)) as { default: PlatformAdapter };
    adapters.push(mod.default);
  }
  return adapters;
}
