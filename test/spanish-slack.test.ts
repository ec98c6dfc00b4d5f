import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { slackStack, textOf, users, type SlackStack } from "./support/slack.ts";

// Ana's Slack is in Spanish (users.info reports her locale); her mentor's is not.
let s: SlackStack;
beforeAll(async () => {
  s = await slackStack({ fake: { locales: { [users.ana]: "es-MX", [users.max]: "en-US" } } });
});
afterAll(() => s.close());

describe("Slack in Spanish", () => {
  it("an intern whose Slack is in Spanish types `hecho safety-walk` and is answered in Spanish; their mentor is asked in English", async () => {
    await s.send.command(users.ana, "hecho safety-walk");
    const [reply] = await s.waitFor("response_url");
    expect(textOf(reply!.body)).toMatch(/¡Anotado! Safety walk \(#\d+\)\. Max Mentor lo revisará\./);
    expect((await s.steps.store.personByEmail("ana@example.org"))!.language).toBe("es");

    const [request] = await s.waitFor("chat.postMessage");
    expect(request!.body.channel).toBe(`D${users.max}`);
    const actions = (request!.body.blocks as { type: string; elements?: { text: { text: string } }[] }[]).find((b) => b.type === "actions")!;
    expect(actions.elements!.map((e) => e.text.text)).toEqual(["Approve", "Request changes"]);

    s.fake.clear();
    await s.send.command(users.ana, "ayuda");
    const [help] = await s.waitFor("response_url");
    expect(textOf(help!.body)).toContain("Comandos de Steps para estudiantes en prácticas");
    expect(textOf(help!.body)).toContain("`/steps hecho &lt;tarea&gt; [nota o enlace]` — Marca una tarea como hecha.");

    s.fake.clear();
    await s.send.command(users.ana, "language en");
    const [english] = await s.waitFor("response_url");
    expect(textOf(english!.body)).toContain("Done: Steps now writes to you in English.");
    expect((await s.steps.store.personByEmail("ana@example.org"))!.language).toBe("en");
  });

  it("a mentor who chose Spanish gets the request, its buttons and the Request changes modal in Spanish", async () => {
    s.fake.clear();
    await s.send.command(users.max, "idioma es");
    await s.waitFor("response_url");
    s.fake.clear();
    await s.send.command(users.ana, "done fleet-tour");
    const [request] = await s.waitFor("chat.postMessage");
    expect(textOf(request!.body)).toContain("Ana Intern terminó Fleet tour. Apruébalo o devuélvelo diciendo qué cambiar.");
    const actions = (request!.body.blocks as { type: string; elements?: { text: { text: string }; value: string }[] }[]).find((b) => b.type === "actions")!;
    expect(actions.elements!.map((e) => e.text.text)).toEqual(["Aprobar", "Pedir cambios"]);

    await s.send.click(users.max, "request_changes", actions.elements![1]!.value);
    const [open] = await s.waitFor("views.open");
    const view = open!.body.view as { private_metadata: string; title: { text: string }; submit: { text: string }; close: { text: string }; blocks: { label: { text: string } }[] };
    expect([view.title.text, view.submit.text, view.close.text, view.blocks[0]!.label.text]).toEqual(["Pedir cambios", "Devolver", "Cancelar", "¿Qué debe cambiar el pasante?"]);
    const empty = await s.send.submitChanges(users.max, view.private_metadata, " ");
    expect(await empty.json()).toEqual({ response_action: "errors", errors: { reason: "Di qué hay que cambiar." } });
  });
});
