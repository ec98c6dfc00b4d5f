import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { pathToFileURL } from "node:url";
import { zipSync } from "fflate";
import { z } from "zod";
import { commandExample, commandHelp, SAMPLE_EXAMPLES } from "../../src/commands/grammar.ts";
import { defaultWords, SOURCE_LANGUAGE, type Values } from "../../src/i18n.ts";
import { packageFile } from "../../src/files.ts";

// `npm run teams:package`: the Teams app package (manifest + icons) that an
// admin uploads or a user sideloads, with this deployment's ids filled in.


const packageEnv = z.object({
  MICROSOFT_APP_ID: z.guid("MICROSOFT_APP_ID must be the bot's Microsoft app id (a GUID)"),
  PUBLIC_URL: z.url({ protocol: /^https$/, error: "PUBLIC_URL must be the https address Teams reaches Steps at" }),
});

/** Teams shows at most 10 commands per list, each title ≤ 32 and description ≤ 128 characters. */
export function commandList(): { title: string; description: string }[] {
  // The list in the manifest is static, so it is in English, the language every Steps understands.
  const say = (key: string, values?: Values) => defaultWords().t(SOURCE_LANGUAGE, key, values);
  const everyday = commandHelp.filter((c) => !(c.roles.length === 1 && c.roles[0] === "coordinator"));
  const help = everyday.filter((c) => c.name === "help");
  const chosen = [...everyday.filter((c) => !help.includes(c)).slice(0, 10 - help.length), ...help];
  return chosen.map((c) => ({
    // The words before the first placeholder: what Teams puts in the compose box.
    title: /^[a-z]+(?: [a-z]+(?=\s|$))*/.exec(say(c.usage))![0].slice(0, 32),
    description: description(say(c.summary), commandExample(c, SAMPLE_EXAMPLES, say)),
  }));
}

/** The summary, with an example when it fits: the list is static, so examples name the sample program's tasks. */
function description(summary: string, example: string | undefined): string {
  const withExample = example ? `${summary} E.g. ${example}` : summary;
  return withExample.length <= 128 ? withExample : summary.slice(0, 128);
}

export function buildTeamsPackage(raw: Record<string, string | undefined>): { manifest: Record<string, unknown>; zip: Uint8Array } {
  const parsed = packageEnv.safeParse(raw);
  if (!parsed.success) throw new Error(parsed.error.issues.map((i) => i.message).join("\n"));
  const { MICROSOFT_APP_ID, PUBLIC_URL } = parsed.data;
  const values: Record<string, string> = {
    MICROSOFT_APP_ID,
    PUBLIC_URL,
    PUBLIC_HOST: new URL(PUBLIC_URL).host,
    APP_VERSION: (JSON.parse(readFileSync(packageFile("package.json"), "utf8")) as { version: string }).version,
  };
  const template = readFileSync(packageFile("adapters", "teams", "manifest", "manifest.json"), "utf8");
  const filled = template.replace(/\$\{\{(\w+)\}\}/g, (whole, name: string) => {
    const value = values[name];
    if (value === undefined) throw new Error(`manifest.json uses ${whole}, which the packager does not know`);
    return JSON.stringify(value).slice(1, -1);
  });
  const manifest = JSON.parse(filled) as { bots: { commandLists: unknown[] }[] } & Record<string, unknown>;
  manifest.bots[0]!.commandLists = [{ scopes: ["personal", "team", "groupChat"], commands: commandList() }];
  const zip = zipSync({
    "manifest.json": new TextEncoder().encode(JSON.stringify(manifest, null, 2)),
    "color.png": readFileSync(packageFile("adapters", "teams", "manifest", "color.png")),
    "outline.png": readFileSync(packageFile("adapters", "teams", "manifest", "outline.png")),
  });
  return { manifest, zip };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  try {
    const { zip } = buildTeamsPackage(process.env);
    const out = packageFile("dist", "steps-teams.zip");
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, zip);
    console.log(`Wrote ${out} (${zip.length} bytes). Upload it in Teams: Apps → Manage your apps → Upload an app.`);
  } catch (error) {
    console.error(`Could not build the Teams package:\n${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  }
}
