import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, expect, it } from "vitest";
import { createEmailLinks } from "../adapters/email/links/index.ts";
import { boot } from "../app/boot.ts";
import { publicUrl, readEnv } from "../src/config.ts";
import { silentLogger } from "../src/log.ts";
import { runCli } from "./support/cli.ts";
import { copyPgliteTemplate, freshDb } from "./support/db.ts";
import { startSmtp } from "./support/smtp.ts";

// `steps email cancel-links EMAIL`: what a coordinator runs when a mentor's email was forwarded or a phone lost.

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

async function cliVars(): Promise<Record<string, string>> {
  const dataDir = mkdtempSync(join(tmpdir(), "steps-links-cli-"));
  cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
  const vars: Record<string, string> = { DATA_DIR: dataDir, LOG_LEVEL: "error", ROSTER_FILE: "programs/summer-steps-roster.csv", PUBLIC_URL: "http://steps.test" };
  if (process.env.DATABASE_URL) {
    const db = await freshDb();
    cleanups.push(() => db.close());
    vars.DATABASE_URL = db.url!;
  } else {
    copyPgliteTemplate(join(dataDir, "db"));
  }
  return vars;
}


/** Boots as the server would, runs fn with the links API, and closes (the CLI needs the embedded database to itself). */
async function withLinks<T>(vars: Record<string, string>, fn: (links: ReturnType<typeof createEmailLinks>, steps: Awaited<ReturnType<typeof boot>>) => Promise<T>): Promise<T> {
  const steps = await boot(readEnv(vars), silentLogger);
  try {
    return await fn(createEmailLinks({ store: steps.store, programs: steps.programs.map((p) => p.program), now: steps.now, baseUrl: publicUrl(steps.env) }), steps);
  } finally {
    await steps.close();
  }
}

it("cancels a person's unused links, and only theirs", async () => {
  const vars = await cliVars();
  const tokens = await withLinks(vars, async (links, steps) => {
    const ana = (await steps.store.personByEmail("ana.torres@example.org"))!;
    const priya = (await steps.store.personByEmail("priya.nair@example.org"))!;
    const maria = (await steps.store.personByEmail("maria.delgado@example.org"))!;
    const s = (await steps.core.done(ana, "interview-staff", "Met the clerk.", null)).submission;
    const mine = await links.approvalLinks({ submissionId: s.id, approverPersonId: priya.id });
    const theirs = await links.approvalLinks({ submissionId: s.id, approverPersonId: maria.id });
    return { mine: [mine.approve, mine.changes].map((u) => u.searchParams.get("t")!), theirs: theirs.approve.searchParams.get("t")! };
  });

  const run = await runCli(["email", "cancel-links", "priya.nair@example.org"], vars);
  expect(run).toEqual({ code: 0, out: "Cancelled 2 unused email links of Priya Nair. Their next emails carry new links." });
  expect(await runCli(["email", "cancel-links", "priya.nair@example.org"], vars)).toEqual({ code: 0, out: "Priya Nair has no unused email links: nothing to cancel." });
  expect(await runCli(["email", "cancel-links", "nobody@example.org"], vars)).toEqual({ code: 1, out: "nobody@example.org is not on the roster: there are no links to cancel." });
  expect((await runCli(["email", "cancel-links"], vars)).code).toBe(2);

  await withLinks(vars, async (links) => {
    for (const t of tokens.mine) expect(await links.check(t, "decision")).toMatchObject({ ok: false, reason: "cancelled" });
    expect(await links.check(tokens.theirs, "decision")).toMatchObject({ ok: true });
  });
});

it("sends an intern without chat a new link to their page, and says why when it cannot", async () => {
  const vars = await cliVars();
  await withLinks(vars, async (_links, steps) => {
    await steps.store.scoped(steps.program.id).upsertPeople([{ email: "samuel.ortiz@example.org", name: "Samuel Ortiz", role: "intern", department: "parks-recreation", mentorEmail: "hector.villanueva@example.org", contact: "email" }]);
  });
  expect(await runCli(["email", "send-link", "samuel.ortiz@example.org"], vars)).toEqual({
    code: 0,
    out: "Queued a new link for Samuel Ortiz; no mail server is set here (SMTP_URL), so `steps serve` sends it.",
  });

  const smtp = await startSmtp();
  cleanups.push(() => smtp.close());
  const mail = { ...vars, SMTP_URL: smtp.url, EMAIL_FROM: "steps@example.org" };
  const sent = await runCli(["email", "send-link", "Samuel.Ortiz@example.org"], mail);
  expect(sent).toEqual({ code: 0, out: "Sent Samuel Ortiz a new link to their page, at samuel.ortiz@example.org. Links sent before keep working until they expire; `steps email cancel-links samuel.ortiz@example.org` cancels them." });
  // The one queued without a mail server went too.
  const received = smtp.to("samuel.ortiz@example.org");
  expect(received).toHaveLength(2);
  for (const m of received) {
    expect(m.text).toContain("Your coordinator sent you a new link to your page on Steps");
    expect(m.text).toMatch(/^Record your work: http:\/\/steps\.test\/email\/work\?t=\S+$/m);
  }

  expect(await runCli(["email", "send-link", "lily.chen@example.org"], mail)).toEqual({
    code: 1,
    out: "Lily Chen uses Steps in chat (contact chat), so they record work there and have no personal link. To give them one, set their contact to email in the roster.",
  });
  expect(await runCli(["email", "send-link", "hector.villanueva@example.org"], mail)).toEqual({ code: 1, out: "Hector Villanueva is a mentor: personal links are for interns. Their emails carry the links they need." });
  expect(await runCli(["email", "send-link", "nobody@example.org"], mail)).toEqual({ code: 1, out: "nobody@example.org is not on the roster. Check the address, or import it with: steps roster import FILE.csv" });
  expect((await runCli(["email", "send-link"], mail)).code).toBe(2);
  expect(smtp.to("samuel.ortiz@example.org")).toHaveLength(2);
});
