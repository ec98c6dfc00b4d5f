import { readFileSync } from "node:fs";
import { unzipSync } from "fflate";
import { describe, expect, it } from "vitest";
import { buildTeamsPackage, commandList } from "../adapters/teams/package.ts";
import { commandHelp } from "../src/commands/grammar.ts";

const APP_ID = "6f1c2a7e-3b4d-4e5f-8a9b-0c1d2e3f4a5b";

/** Width, height and colour type from a PNG's IHDR chunk. */
function pngHeader(bytes: Uint8Array) {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return { width: view.getUint32(16), height: view.getUint32(20), colorType: bytes[25] };
}

describe("Teams app package", () => {
  it("fills the app id and host into the manifest and zips it with both icons", () => {
    const { zip } = buildTeamsPackage({ MICROSOFT_APP_ID: APP_ID, PUBLIC_URL: "https://steps.example.org/" });
    const files = unzipSync(zip);
    expect(Object.keys(files).sort()).toEqual(["color.png", "manifest.json", "outline.png"]);
    const text = new TextDecoder().decode(files["manifest.json"]);
    expect(text).not.toContain("${{");
    const manifest = JSON.parse(text);
    expect(manifest.$schema).toMatch(/\/teams\/v1\.(19|2\d)\/MicrosoftTeams\.schema\.json$/);
    expect(manifest).toMatchObject({ id: APP_ID, manifestVersion: expect.stringMatching(/^1\.(19|2\d)$/), validDomains: ["steps.example.org"] });
    expect(manifest.version).toBe(JSON.parse(readFileSync("package.json", "utf8")).version);
    expect(manifest.bots).toEqual([expect.objectContaining({ botId: APP_ID, scopes: ["personal", "team", "groupChat"] })]);
    expect(manifest.bots[0].commandLists[0].commands).toEqual(commandList());
    expect(pngHeader(files["color.png"]!)).toEqual({ width: 192, height: 192, colorType: 6 });
    expect(pngHeader(files["outline.png"]!)).toEqual({ width: 32, height: 32, colorType: 6 });
  });

  it("lists the everyday grammar commands within Teams' limits", () => {
    const commands = commandList();
    expect(commands.length).toBeLessThanOrEqual(10);
    expect(commands.map((c) => c.title)).toEqual(["done", "log", "status", "tasks", "pending", "approve", "changes", "digest", "badges", "help"]);
    for (const c of commands) {
      expect(c.title.length).toBeLessThanOrEqual(32);
      expect(c.description.length).toBeLessThanOrEqual(128);
      expect(commandHelp.some((h) => h.name.startsWith(c.title))).toBe(true);
    }
  });

  it("says which setting is missing or wrong", () => {
    expect(() => buildTeamsPackage({})).toThrow(/MICROSOFT_APP_ID must be the bot's Microsoft app id[\s\S]*PUBLIC_URL must be the https address/);
    expect(() => buildTeamsPackage({ MICROSOFT_APP_ID: APP_ID, PUBLIC_URL: "http://steps.example.org" })).toThrow("PUBLIC_URL must be the https address");
    expect(() => buildTeamsPackage({ MICROSOFT_APP_ID: "my-bot", PUBLIC_URL: "https://steps.example.org" })).toThrow("MICROSOFT_APP_ID must be");
  });
});
