import { expect } from "vitest";
import type { Steps } from "../../app/boot.ts";
import type { RunningServer } from "../../app/server.ts";

// The web adapter's playground API, driven as a script would: shared by the
// tests that run whole programs through it.

/** The playground's API, on one running server; `home` is the program whose row a person is known by unless one is named. */
export function playground({ steps, server }: { steps: Steps; server: RunningServer }, home = "summer-steps") {
  let token: string | undefined;
  async function post(path: string, body: object) {
    token ??= ((await (await fetch(`${server.url}/playground/people`)).json()) as { token: string }).token;
    const response = await fetch(`${server.url}${path}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ ...body, token }) });
    expect(response.status).toBe(200);
    return (await response.json()) as { reply: { text: string; html: string } };
  }
  /** A person's row in a program: the playground, like a chat platform, knows people by one row. */
  async function id(email: string, program: string): Promise<number> {
    const person = await steps.store.scoped(program).personByEmail(email);
    if (!person) throw new Error(`${email} is not in ${program}`);
    return person.id;
  }
  return {
    id,
    /** Types a command as that person (known by their row in `program`) and returns the reply. */
    say: async (email: string, text: string, program = home) => (await post("/playground/command", { personId: await id(email, program), text })).reply,
    click: async (email: string, action: string, value: string, program = home) => (await post("/playground/action", { personId: await id(email, program), action, value })).reply,
    /** Every direct message that person's row in `program` received, once what is queued has gone out. */
    async inbox(email: string, program: string): Promise<string[]> {
      // A run the change kicked may hold some of it: wait for that too.
      await steps.dispatcher.drain();
      await steps.dispatcher.idle();
      const response = await fetch(`${server.url}/playground/inbox?personId=${await id(email, program)}`);
      return ((await response.json()) as { messages: { text: string }[] }).messages.map((m) => m.text);
    },
    async channel(): Promise<string[]> {
      // A run the change kicked may hold some of it: wait for that too.
      await steps.dispatcher.drain();
      await steps.dispatcher.idle();
      const response = await fetch(`${server.url}/playground/channel`);
      return ((await response.json()) as { announcements: { text: string }[] }).announcements.map((m) => m.text);
    },
  };
}

/** The submission number a reply names ("… #12 …"). */
export function numberIn(text: string): string {
  const match = /#(\d+)/.exec(text);
  if (!match) throw new Error(`no submission number in: ${text}`);
  return match[1]!;
}
