import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";

const root = join(import.meta.dirname, "..");

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(join(dir, e.name)) : e.name.endsWith(".ts") ? [join(dir, e.name)] : []));
}

function importsOf(file: string): string[] {
  const text = readFileSync(file, "utf8");
  return [...text.matchAll(/(?:import|export)\s[^'"]*?from\s*["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)|require\(\s*["']([^"']+)["']\s*\)/g)].map((m) => (m[1] ?? m[2] ?? m[3])!);
}

describe("architecture boundaries", () => {
  it("the core imports no chat SDK and no database library", () => {
    const forbidden = /^(@slack\/|botbuilder|botframework-|drizzle-orm|postgres$|@electric-sql\/)/;
    const offenders = files(join(root, "src")).flatMap((f) =>
      importsOf(f)
        .filter((i) => forbidden.test(i) || i.includes("/adapters/") || i.includes("/db/") || i.startsWith("../app") )
        .map((i) => `${relative(root, f)} imports ${i}`),
    );
    expect(offenders).toEqual([]);
  });

  it("botbuilder stays inside adapters/teams and @slack inside adapters/slack", () => {
    const all = ["src", "app", "adapters", "db"].flatMap((d) => {
      try {
        return files(join(root, d));
      } catch {
        return [];
      }
    });
    const offenders = all.flatMap((f) => {
      const rel = relative(root, f);
      return importsOf(f)
        .filter((i) => (/^botbuilder|^botframework-/.test(i) && !rel.startsWith("adapters/teams/")) || (/^@slack\//.test(i) && !rel.startsWith("adapters/slack/")))
        .map((i) => `${rel} imports ${i}`);
    });
    expect(offenders).toEqual([]);
  });

  it("the import scanner sees imports (so the checks above can fail)", () => {
    expect(importsOf(join(root, "db", "client.ts"))).toContain("drizzle-orm/pglite");
  });
});
