import { main } from "../../app/main.ts";

/** The terminal's language settings: unset unless a run gives them, so the CLI answers in English whatever this machine's locale. */
const LANGUAGE = ["LANG", "LC_ALL", "LC_MESSAGES"];

/**
 * Runs the CLI in this process as a shell would: these variables set (those in
 * `unset` removed), then the environment restored. `out`: what it printed, a line each.
 */
export async function runCli(args: string[], vars: Record<string, string | undefined>, unset: string[] = []): Promise<{ code: number; out: string }> {
  const saved = { ...process.env };
  for (const key of [...LANGUAGE, ...unset]) delete process.env[key];
  Object.assign(process.env, vars);
  const out: string[] = [];
  try {
    return { code: await main(args, (s) => out.push(s)), out: out.join("\n") };
  } finally {
    process.env = saved;
  }
}
