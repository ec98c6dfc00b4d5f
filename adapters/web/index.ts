import { readFileSync } from "node:fs";
import { z } from "zod";
import { packageFile } from "../../src/files.ts";
import { publicUrl } from "../../src/config.ts";
import { programLanguage, readerLanguage, speak } from "../language.ts";
import { playgroundPolicy } from "../local-only.ts";
import type { PlatformAdapter } from "../platform.ts";
import type { Access } from "./http.ts";
import { createMailbox, webTransport } from "./mailbox.ts";
import { playgroundRoutes } from "./routes.ts";

const envSchema = z.object({
  /** 1 turns the playground on beside Slack or Teams; 0 turns it off even when no chat platform is set. */
  PLAYGROUND: z.enum(["0", "1"], { error: "PLAYGROUND must be 1 (on) or 0 (off)" }).optional(),
  /** 1 lets machines other than this one use the playground, which has no login. */
  PLAYGROUND_HOST_OK: z.enum(["0", "1"], { error: "PLAYGROUND_HOST_OK must be 1 (allow other machines) or 0" }).optional(),
});

/**
 * The local web playground: a third renderer of the neutral messages, so
 * Steps can be tried with no chat platform at all.
 */
const web: PlatformAdapter = {
  name: "web",
  // No credentials: the playground never counts as a configured chat platform.
  configured: () => false,
  async start(ctx) {
    const parsed = envSchema.safeParse(Object.fromEntries(Object.entries(ctx.env.raw).filter(([k, v]) => k in envSchema.shape && v !== "")));
    if (!parsed.success) throw new Error(`Invalid environment:\n${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("\n")}`);
    const vars = parsed.data;
    const others = ctx.configured.filter((name) => name !== "web");
    if (vars.PLAYGROUND === "0" || (vars.PLAYGROUND !== "1" && others.length > 0)) {
      ctx.log.info("playground off", { reason: vars.PLAYGROUND === "0" ? "PLAYGROUND=0" : `${others.join(" and ")} configured; set PLAYGROUND=1 to serve it as well` });
      return null;
    }
    const policy = playgroundPolicy(ctx.env);
    const allowRemote = policy.allowRemote === true;
    const { core } = ctx;
    const access: Access = {
      ...policy,
      home: allowRemote ? publicUrl(ctx.env) : `http://localhost:${ctx.env.PORT}/`,
      reader: (req) => speak(core.t, readerLanguage(req, core.languages, programLanguage(core))),
    };
    const mailbox = createMailbox(ctx.now);
    const assets = {
      js: readFileSync(packageFile("adapters", "web", "public", "app.js"), "utf8"),
      css: readFileSync(packageFile("adapters", "web", "public", "app.css"), "utf8"),
    };
    playgroundRoutes(ctx, mailbox, assets, access);
    ctx.log.info("playground on: open it in a browser", { url: `http://localhost:${ctx.env.PORT}/`, otherMachines: allowRemote ? "allowed (PLAYGROUND_HOST_OK=1)" : "refused" });
    if (allowRemote) ctx.log.warn("the playground has no login: anyone who can reach this port can act as anyone on the roster");
    return { transport: webTransport(mailbox, ctx.log) };
  },
};

export default web;
