import { createServer } from "node:net";
import badgesAdapter from "../../adapters/badges/index.ts";
import { startServer, type RunningServer } from "../../app/server.ts";
import { answer } from "../../src/chat.ts";
import { silentLogger } from "../../src/log.ts";
import { toPlainText, type Message } from "../../src/messages.ts";
import type { PlatformAdapter } from "../../adapters/platform.ts";
import type { Award } from "../../src/store.ts";
import { bootForTest } from "./boot.ts";
import { recordingTransport, type Sent } from "./harness.ts";

export const IVY = "ivy.intern@example.org";
export const IAN = "ian.intern@example.org";
export const MO = "mo.mentor@example.org";
export const CORA = "cora.coordinator@example.org";

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/**
 * The whole app with the badges adapter on a real port that is also its
 * PUBLIC_URL, so the URLs inside credentials are the ones fetch() reaches.
 * Other adapters may be served beside it.
 */
export async function badgeServer(vars: Record<string, string> = {}, adapters: PlatformAdapter[] = [badgesAdapter]) {
  const port = await freePort();
  let clock = new Date("2026-06-17T18:00:00Z");
  const steps = await bootForTest(
    { PROGRAM_FILE: "test/fixtures/badges-program.yml", ROSTER_FILE: "test/fixtures/badges-roster.csv", PUBLIC_URL: `http://127.0.0.1:${port}`, ...vars },
    { now: () => clock },
  );
  const sent: Sent[] = [];
  steps.dispatcher.register(recordingTransport(sent));
  let server: RunningServer;
  try {
    server = await startServer(steps, adapters, { port });
  } catch (error) {
    await steps.close();
    throw error;
  }

  async function person(email: string) {
    const p = await steps.store.personByEmail(email);
    if (!p) throw new Error(`no ${email} in the badge roster`);
    return p;
  }

  return {
    steps,
    server,
    url: server.url,
    person,
    now: () => clock,
    /** Sends what is queued and returns the messages that reached this person so far. */
    async inbox(email: string): Promise<Message[]> {
      // The award kicked the dispatcher already: let that run finish, then send the rest.
      await steps.dispatcher.idle();
      await steps.dispatcher.drain();
      return sent.filter((m) => m.to === email).map((m) => m.message);
    },
    setTime(iso: string) {
      clock = new Date(iso);
    },
    async say(email: string, text: string): Promise<string> {
      return toPlainText(await answer(steps.core, await person(email), text, silentLogger));
    },
    /** The intern records the task and the mentor approves it: the badge is awarded. */
    async earn(email: string, note: string | null = null, link: string | null = null): Promise<Award> {
      const done = await steps.core.done(await person(email), "interview-staff", note, link);
      const decided = await steps.core.decide(await person(MO), done.submission.id, "approved", null);
      if (!decided.award) throw new Error("no award");
      return (await steps.store.award(decided.award.id))!;
    },
    async close() {
      await server.close();
      await steps.close();
    },
  };
}

export type BadgeServer = Awaited<ReturnType<typeof badgeServer>>;
