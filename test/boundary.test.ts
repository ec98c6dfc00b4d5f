import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
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
  it("the core imports no chat SDK, no database library, no HTTP server and no threads", () => {
    const forbidden = /^(@slack\/|botbuilder|botframework-|drizzle-orm|postgres$|@electric-sql\/|(node:)?(http|https|http2|net|worker_threads)$)/;
    const offenders = files(join(root, "src")).flatMap((f) =>
      importsOf(f)
        .filter((i) => forbidden.test(i) || i.includes("/adapters/") || i.includes("/db/") || i.startsWith("../app"))
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

  it("the core names no platform: a new one is a folder under adapters/ and a line in app/adapters.ts", () => {
    const offenders = files(join(root, "src")).flatMap((f) =>
      readFileSync(f, "utf8")
        .split("\n")
        .flatMap((line, i) => (/slack|teams/i.test(line) ? [`${relative(root, f)}:${i + 1}: ${line.trim()}`] : [])),
    );
    expect(offenders).toEqual([]);
  });

  it("adapters import nothing from app/: what they share with it lives in adapters/", () => {
    const offenders = files(join(root, "adapters")).flatMap((f) =>
      importsOf(f)
        .filter((i) => resolve(dirname(f), i).startsWith(join(root, "app")))
        .map((i) => `${relative(root, f)} imports ${i}`),
    );
    expect(offenders).toEqual([]);
  });

  it("the list of adapters loads no platform SDK: a platform's is loaded only when it is configured", () => {
    // A child process, so nothing this test file imported counts; botbuilder and Bolt are CommonJS, so they land in require's cache.
    const script = `await import("./app/adapters.ts");
      const { createRequire } = await import("node:module");
      console.log(JSON.stringify(Object.keys(createRequire(import.meta.url).cache).filter((k) => /node_modules\\/(botbuilder|@slack)\\//.test(k))));`;
    const run = spawnSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], { cwd: root, encoding: "utf8" });
    expect(run.status, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual([]);
  });

  it("no module imports itself through others (the rules in src/domain/core.ts do not know the words in replies.ts)", () => {
    const modules = ["src", "app", "adapters", "db"].flatMap((d) => files(join(root, d)));
    const edges = new Map(modules.map((f) => [f, importsOf(f).filter((i) => i.startsWith(".")).map((i) => resolve(dirname(f), i))]));
    const cycles: string[] = [];
    const done = new Set<string>();
    const visit = (file: string, path: string[]) => {
      if (path.includes(file)) return void cycles.push([...path.slice(path.indexOf(file)), file].map((f) => relative(root, f)).join(" → "));
      if (done.has(file)) return;
      for (const next of edges.get(file) ?? []) visit(next, [...path, file]);
      done.add(file);
    };
    for (const file of modules) visit(file, []);
    expect(cycles).toEqual([]);
  });

  it("the import scanner sees imports (so the checks above can fail)", () => {
    expect(importsOf(join(root, "db", "client.ts"))).toContain("drizzle-orm/pglite");
  });
});
