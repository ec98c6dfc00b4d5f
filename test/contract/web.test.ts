import web from "../../adapters/web/index.ts";
import { startServer } from "../../app/server.ts";
import type { Person } from "../../src/store.ts";
import { bootForTest } from "../support/boot.ts";
import { launchChromium } from "../support/browser.ts";
import { playgroundPage, webSeen } from "../support/shows.ts";
import { adapterContract, type Delivery, type Seen } from "./contract.ts";

// The playground, driven as its page drives it: its HTTP routes, with the page's token; what it shows read by a browser.

interface Posted {
  id: number;
  rev: number;
  html: string;
}

adapterContract({
  name: "web playground",
  async start() {
    const [steps, browser] = await Promise.all([bootForTest({}, { now: () => new Date("2026-06-22T17:00:00Z") }), launchChromium()]);
    const server = await startServer(steps, [web]);
    const page = await playgroundPage(browser);
    const person = async (email: string) => (await steps.store.personByEmail(email))!;
    const { token } = (await (await fetch(`${server.url}/playground/people`)).json()) as { token: string };
    /** Posts as the page's script does: JSON with the page's token. */
    async function post(path: string, body: Record<string, unknown>) {
      const response = await fetch(`${server.url}${path}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ ...body, token }) });
      if (!response.ok) throw new Error(`${path} answered ${response.status}: ${await response.text()}`);
      await steps.dispatcher.idle();
    }
    const inbox = async (p: Person) => ((await (await fetch(`${server.url}/playground/inbox?personId=${p.id}`)).json()) as { messages: Posted[] }).messages;

    /**
     * A delivered message as the browser shows it; a button posts its form as the page does.
     * A page in a browser has no size limit of its own (the mailbox keeps each box's latest 200).
     */
    async function seen(posted: Posted, viewer: Person): Promise<Seen> {
      const shown = await webSeen(page, `<ul>${posted.html}</ul>`);
      const buttons = shown.buttons.map((b) => ({ ...b, press: () => post("/playground/action", { personId: viewer.id, action: b.action, value: b.value }) }));
      return { ...shown, buttons, overLimits: [] };
    }

    const intern = await person("ana.torres@example.org");
    return {
      steps,
      intern,
      mentor: await person("priya.nair@example.org"),
      submit: (note) => post("/playground/command", { personId: intern.id, text: `done budget-walkthrough ${note}` }),
      async deliveries(p): Promise<Delivery[]> {
        const delivered: Delivery[] = [];
        for (const posted of await inbox(p)) {
          delivered.push({
            seen: await seen(posted, p),
            async now() {
              const current = (await inbox(p)).find((m) => m.id === posted.id)!;
              return { seen: await seen(current, p), updates: current.rev - 1 };
            },
          });
        }
        return delivered;
      },
      // Kevin has never used the playground; it reaches everyone on the roster.
      stranger: async () => ({ person: await person("kevin.lam@example.org"), reachable: true }),
      async close() {
        await server.close();
        await steps.close();
        await browser.close();
      },
    };
  },
});
