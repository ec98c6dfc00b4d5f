import type { IncomingMessage, ServerResponse } from "node:http";
import { ConfigurationBotFrameworkAuthentication, type Request, type Response } from "botbuilder";
import { z } from "zod";
import type { Env } from "../../src/config.ts";
import type { PlatformAdapter } from "../../src/platform.ts";
import { createTurnHandler } from "./receive.ts";
import { teamsTransport } from "./transport.ts";
import { HANDLER, ReplayingAdapter, teamsWork } from "./work.ts";

// Everything botbuilder-specific lives in this folder, so moving to another
// Teams SDK replaces this folder and nothing else.

const teamsEnv = z
  .object({
    MICROSOFT_APP_ID: z.string().trim().min(1).optional(),
    MICROSOFT_APP_PASSWORD: z.string().min(1).optional(),
    MICROSOFT_APP_TENANT_ID: z.string().trim().min(1).optional(),
    MICROSOFT_APP_TYPE: z.enum(["MultiTenant", "SingleTenant", "UserAssignedMSI"]).default("MultiTenant"),
    TEAMS: z.enum(["0", "1"]).optional(),
  })
  .superRefine((v, ctx) => {
    if (!v.MICROSOFT_APP_ID) return;
    if (v.MICROSOFT_APP_TYPE !== "UserAssignedMSI" && !v.MICROSOFT_APP_PASSWORD) {
      ctx.addIssue({ code: "custom", path: ["MICROSOFT_APP_PASSWORD"], message: "is required with MICROSOFT_APP_ID (the client secret of the bot's app registration)" });
    }
    if (v.MICROSOFT_APP_TYPE !== "MultiTenant" && !v.MICROSOFT_APP_TENANT_ID) {
      ctx.addIssue({ code: "custom", path: ["MICROSOFT_APP_TENANT_ID"], message: `is required when MICROSOFT_APP_TYPE is ${v.MICROSOFT_APP_TYPE}` });
    }
  });

export type TeamsEnv = z.infer<typeof teamsEnv>;

export function readTeamsEnv(env: Env): TeamsEnv {
  const parsed = teamsEnv.safeParse(Object.fromEntries(Object.entries(env.raw).filter(([, v]) => v !== "")));
  if (!parsed.success) throw new Error(`Invalid Teams settings:\n${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("\n")}`);
  return parsed.data;
}

/** The least botbuilder needs to process an activity; it validates the rest (and the token) itself. */
const activityShape = z.looseObject({ type: z.string().min(1), serviceUrl: z.string().min(1).optional() });

/** botbuilder checks every request's JWT and signs every outgoing call; an empty app id turns both off. */
export function botAdapter(settings: TeamsEnv): ReplayingAdapter {
  return new ReplayingAdapter(
    new ConfigurationBotFrameworkAuthentication({
      MicrosoftAppId: settings.MICROSOFT_APP_ID ?? "",
      MicrosoftAppPassword: settings.MICROSOFT_APP_PASSWORD ?? "",
      MicrosoftAppTenantId: settings.MICROSOFT_APP_TENANT_ID ?? "",
      MicrosoftAppType: settings.MICROSOFT_APP_TYPE,
    }),
  );
}

/** Requests bigger than this are not Bot Framework activities. */
const MAX_BODY = 1_000_000;

const teams: PlatformAdapter = {
  name: "teams",
  configured: (env) => Boolean(env.raw.MICROSOFT_APP_ID) || env.raw.TEAMS === "1",
  async start({ env, core, store, inbox, routes, log }) {
    if (!teams.configured(env)) return null;
    const settings = readTeamsEnv(env);
    const appId = settings.MICROSOFT_APP_ID ?? "";
    if (!appId) log.warn("Teams: MICROSOFT_APP_ID is not set, so requests to /api/messages are NOT authenticated. Use this for local testing only.");
    const adapter = botAdapter(settings);
    const onTurn = createTurnHandler({ core, store, inbox, log });
    inbox.register(HANDLER, teamsWork({ adapter, appId, store, log }));

    routes.add("POST", "/api/messages", async (req, res) => {
      const body = await readActivity(req);
      if (body === undefined) {
        res.writeHead(400, { "content-type": "text/plain" }).end("expected a JSON activity");
        return;
      }
      await adapter.process(Object.assign(req, { body }) as unknown as Request, responseShim(res), onTurn);
    });

    const channels = core.program.file.program.channels;
    return { transport: teamsTransport({ adapter, appId, store, channels: { announcements: channels.announcements.teams, coordinators: channels.coordinators.teams } }) };
  },
};

export default teams;

async function readActivity(req: IncomingMessage): Promise<Record<string, unknown> | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY) return undefined;
    chunks.push(chunk);
  }
  try {
    const parsed = activityShape.safeParse(JSON.parse(Buffer.concat(chunks).toString("utf8")));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/** The express-like surface CloudAdapter.process writes to, over a plain node response. */
function responseShim(res: ServerResponse): Response {
  let status = 200;
  let body: unknown;
  const shim = {
    socket: res.socket,
    header(name: string, value: unknown) {
      res.setHeader(name, String(value));
      return shim;
    },
    status(code: number) {
      status = code;
      return shim;
    },
    send(value: unknown) {
      body = value;
      return shim;
    },
    end() {
      if (res.headersSent) return shim;
      if (body === undefined) res.writeHead(status).end();
      else if (typeof body === "string") res.writeHead(status, { "content-type": "text/plain" }).end(body);
      else res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
      return shim;
    },
  };
  return shim as unknown as Response;
}
