import type { IncomingMessage, ServerResponse } from "node:http";
import { ConfigurationBotFrameworkAuthentication, type Request, type Response } from "botbuilder";
import { z } from "zod";
import type { Program } from "../../src/program/program.ts";
import type { AdapterContext, RunningAdapter } from "../platform.ts";
import { isLoopbackUrl, refusal } from "../local-only.ts";
import { NOT_LOCAL, readTeamsEnv, SERVICE_URL_NOT_LOCAL, type TeamsEnv } from "./settings.ts";
import { createTurnHandler } from "./receive.ts";
import { teamsTransport } from "./transport.ts";
import { HANDLER, ReplayingAdapter, teamsWork } from "./work.ts";

/** botbuilder finds the bot's @mention among these; one without whom and what it mentions would make it throw. */
const entity = z
  .looseObject({ type: z.string(), mentioned: z.looseObject({ id: z.string() }).optional(), text: z.string().optional() })
  .refine((e) => e.type.toLowerCase() !== "mention" || (e.mentioned !== undefined && e.text !== undefined), "a mention names who and how");

/**
 * The fields botbuilder and receive.ts read without checking them, so that a
 * body that is not a Bot Framework activity gets a 400 rather than an error in
 * the middle of a turn. botbuilder checks the token itself (with an app id).
 */
const activityShape = z.looseObject({
  type: z.string().min(1),
  id: z.string().optional(),
  channelId: z.string().min(1),
  serviceUrl: z.url(),
  from: z.looseObject({ id: z.string().min(1) }),
  recipient: z.looseObject({ id: z.string().min(1) }),
  conversation: z.looseObject({ id: z.string().min(1), conversationType: z.string().optional() }),
  text: z.string().optional(),
  name: z.string().optional(),
  entities: z.array(entity).optional(),
  membersAdded: z.array(z.looseObject({ id: z.string() })).optional(),
  channelData: z.looseObject({}).optional(),
});

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

/** Serves Teams: loaded only when Teams is configured (see index.ts). */
export async function startTeams({ env, core, store, inbox, routes, log }: AdapterContext): Promise<RunningAdapter> {
  const settings = readTeamsEnv(env);
  const appId = settings.MICROSOFT_APP_ID ?? "";
  if (!appId) log.warn("Teams: MICROSOFT_APP_ID is not set, so requests to /api/messages are NOT authenticated: only this computer may send them. Use this for local testing only.");
  const adapter = botAdapter(settings);
  const channelsOf = (program: Program) => ({ announcements: program.file.program.channels.announcements.teams, coordinators: program.file.program.channels.coordinators.teams });
  const other = (id: string) => core.cores().get(id)?.program;
  const transport = teamsTransport({ adapter, appId, store, channels: channelsOf(core.program), channelsOf: (id) => (other(id) ? channelsOf(other(id)!) : undefined) });
  const onTurn = createTurnHandler({ core, store, inbox, log });
  inbox.register(HANDLER, teamsWork({ adapter, appId, core, store, log, transport }));
  const refuse = (res: ServerResponse, status: number, text: string) => void res.writeHead(status, { "content-type": "text/plain; charset=utf-8" }).end(text);

  routes.add("POST", "/api/messages", async (req, res) => {
    // With an app id botbuilder checks the token, which also binds the serviceUrl; without one nothing
    // vouches for the caller, who could act as anyone and have Steps send requests wherever they like.
    if (!appId && refusal(req)) return refuse(res, 403, NOT_LOCAL);
    const read = await readActivity(req);
    if ("refused" in read) return refuse(res, read.status, read.refused);
    if (!appId && !isLoopbackUrl(read.activity.serviceUrl ?? "")) return refuse(res, 403, SERVICE_URL_NOT_LOCAL);
    await adapter.process(Object.assign(req, { body: read.activity }) as unknown as Request, responseShim(res), onTurn);
  });

  return {
    transport,
    // Nothing to wait for: botbuilder checks the credentials with each request and each send.
    health: () => "ok",
  };
}


async function readActivity(req: IncomingMessage): Promise<{ activity: z.infer<typeof activityShape> } | { status: 400 | 413; refused: string }> {
  const chunks: Buffer[] = [];
  let size = 0;
  // Read to the end even past the limit: a client still sending when the answer comes would see its connection reset.
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size <= MAX_BODY) chunks.push(chunk);
  }
  if (size > MAX_BODY) return { status: 413, refused: `an activity is at most ${MAX_BODY / 1_000_000} MB` };
  try {
    const parsed = activityShape.safeParse(JSON.parse(Buffer.concat(chunks).toString("utf8")));
    if (parsed.success) return { activity: parsed.data };
  } catch {
    // Not JSON: refused below like any other body that is not an activity.
  }
  return { status: 400, refused: "expected a JSON activity" };
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
      // botbuilder answers a failed turn with the error's message: a failed query's text, with the activity in it. It is in the log.
      if (status >= 500) body = "Steps could not take this request now; try again.";
      if (body === undefined) res.writeHead(status).end();
      else if (typeof body === "string") res.writeHead(status, { "content-type": "text/plain" }).end(body);
      else res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
      return shim;
    },
  };
  return shim as unknown as Response;
}
