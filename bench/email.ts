import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { count, ne } from "drizzle-orm";
import { parse, stringify } from "yaml";
import emailAdapter from "../adapters/email/index.ts";
import { boot } from "../app/boot.ts";
import { startServer } from "../app/server.ts";
import { outbox } from "../db/schema.ts";
import { readEnv } from "../src/config.ts";
import { silentLogger } from "../src/log.ts";
import { startSmtp } from "../test/support/smtp.ts";
import { withDatabaseVars } from "./lib/database.ts";
import { timedFanOut } from "./lib/fan-out.ts";

// One reminder fanned out by email to every intern (contact email): run-due
// queues it, the dispatcher sends it through the email adapter (nodemailer,
// pooled, rate-limited to the program file's email.per_second) to a real SMTP
// server in this process. Figures: achieved rate ÷ configured, duplicates
// (emails per address beyond one) and lost (rows not sent, interns without one).

const INTERNS = Number(process.env.BENCH_INTERNS ?? 2000);
const RATE = Number(process.env.BENCH_RATE ?? 25);
/** Wednesday 8 July 2026, 11:00 in Sacramento: the "1h" reminder of the weekly lunch-and-learn (audience: interns). */
const AT = new Date("2026-07-08T18:00:00Z");

const program = parse(readFileSync("programs/summer-steps.yml", "utf8")) as Record<string, unknown>;
const programDir = join(process.cwd(), "programs");
// Badge images and ics files are found relative to the program file.
writeFileSync(join(programDir, ".bench-email.yml"), stringify({ ...program, email: { per_second: RATE, link_days: 7 } }));
const smtp = await startSmtp();
console.log(`email: one reminder to ${INTERNS} interns by email, per_second ${RATE}, node ${process.version}`);
let failed = false;
try {
  const figures = await withDatabaseVars(process.env.DATABASE_URL ? "postgres" : "pglite", async (vars) => {
    let offset = 0;
    const now = () => new Date(Date.now() + offset);
    const env = readEnv({ PORT: "0", HOST: "127.0.0.1", ...vars, PROGRAM_FILE: join(programDir, ".bench-email.yml"), ROSTER_FILE: "", SMTP_URL: smtp.url, EMAIL_FROM: "steps@bench.test", PUBLIC_URL: "https://bench.test" });
    const steps = await boot(env, silentLogger, { now });
    try {
      await steps.store.upsertPeople(Array.from({ length: INTERNS }, (_, i) => ({ email: `i${i}@bench.test`, name: `Intern ${i}`, role: "intern" as const, department: "public-works", mentorEmail: null, contact: "email" as const })));
      const server = await startServer(steps, [emailAdapter], { port: 0, host: "127.0.0.1" });
      await steps.dispatcher.idle();
      smtp.received.length = 0;
      offset = AT.getTime() - Date.now();
      const seconds = await timedFanOut(steps, INTERNS);
      await server.close();
      const perAddress = new Map<string, number>();
      for (const mail of smtp.received) {
        const to = (Array.isArray(mail.to) ? mail.to[0] : mail.to)?.value[0]?.address ?? "";
        perAddress.set(to, (perAddress.get(to) ?? 0) + 1);
      }
      const [unsent] = await steps.db.db.select({ n: count() }).from(outbox).where(ne(outbox.status, "sent"));
      const unreached = Array.from({ length: INTERNS }, (_, i) => `i${i}@bench.test`).filter((a) => !perAddress.has(a)).length;
      return { messages: smtp.received.length, seconds, duplicates: [...perAddress.values()].reduce((n, c) => n + c - 1, 0), lost: unsent!.n + unreached };
    } finally {
      await steps.close();
    }
  });
  const ratio = figures.messages / figures.seconds / RATE;
  console.log(`${figures.messages} emails in ${figures.seconds.toFixed(1)} s: ${(figures.messages / figures.seconds).toFixed(1)}/s, ÷ configured ${ratio.toFixed(2)} (target ≥ 0.9), duplicates ${figures.duplicates}, lost ${figures.lost}`);
  if (figures.duplicates !== 0 || figures.lost !== 0 || ratio < 0.9) failed = true;
} finally {
  await smtp.close();
  rmSync(join(programDir, ".bench-email.yml"), { force: true });
}
if (failed) {
  console.error("email: duplicates, lost messages or below 0.9 of the configured rate");
  process.exit(1);
}
