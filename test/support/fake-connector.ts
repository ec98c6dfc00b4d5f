import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

// A stand-in for the Bot Framework connector (the service Teams bots call
// back): records every call the bot makes and answers like the real one.

export interface ConnectorCall {
  method: string;
  path: string;
  /** "reply" | "send" | "update" | "create" | "member" | "other" */
  kind: string;
  conversationId?: string;
  activityId?: string;
  body: any;
}

export interface Member {
  email?: string;
  userPrincipalName?: string;
  name?: string;
}

export interface FakeConnector {
  url: string;
  calls: ConnectorCall[];
  /** Teams users by id (29:…): what a member look-up returns. Unknown ids answer 404. */
  members: Map<string, Member>;
  /** User ids that never installed the app: creating a chat with them answers 403. */
  notInstalled: Set<string>;
  /** The next n message posts (send/reply) to that conversation answer 429 with this Retry-After (seconds). */
  throttle(n: number, retryAfterSeconds: number, conversationId: string): void;
  /** Posted messages only (replies and proactive), in order. */
  messages(): ConnectorCall[];
  close(): Promise<void>;
}

/** host: the interface to listen on; 0.0.0.0 also answers at this machine's other addresses. */
export async function startFakeConnector(options: { host?: string } = {}): Promise<FakeConnector> {
  const calls: ConnectorCall[] = [];
  const members = new Map<string, Member>();
  const notInstalled = new Set<string>();
  let throttled = 0;
  let retryAfter = 1;
  let throttledConversation = "";
  let ids = 0;

  async function handle(req: IncomingMessage, res: ServerResponse) {
    const chunks: Buffer[] = [];
    for await (const c of req as AsyncIterable<Buffer>) chunks.push(c);
    const raw = Buffer.concat(chunks).toString("utf8");
    const body = raw ? JSON.parse(raw) : undefined;
    const path = (req.url ?? "/").split("?")[0]!;
    const parts = path.split("/").filter(Boolean).map(decodeURIComponent);
    const json = (status: number, value: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(status, { "content-type": "application/json", ...headers });
      res.end(JSON.stringify(value));
    };
    const record = (kind: string, extra: Partial<ConnectorCall> = {}) => calls.push({ method: req.method!, path, kind, body, ...extra });

    // v3/conversations/:id/activities[/:activityId]
    if (parts[0] === "v3" && parts[1] === "conversations" && parts[3] === "activities") {
      const conversationId = parts[2]!;
      if (req.method === "PUT") {
        record("update", { conversationId, activityId: parts[4] });
        return json(200, { id: parts[4] });
      }
      if (throttled > 0 && conversationId === throttledConversation) {
        throttled--;
        record("throttled", { conversationId });
        return json(429, { error: { code: "TooManyRequests", message: "slow down" } }, { "retry-after": String(retryAfter) });
      }
      const id = `act-${++ids}`;
      record(parts[4] ? "reply" : "send", { conversationId, activityId: id });
      return json(200, { id });
    }
    // v3/conversations/:id/members/:userId
    if (parts[0] === "v3" && parts[1] === "conversations" && parts[3] === "members" && req.method === "GET") {
      const userId = parts[4]!;
      record("member", { conversationId: parts[2] });
      const member = members.get(userId);
      if (!member) return json(404, { error: { code: "MemberNotFoundInConversation", message: "not a member" } });
      return json(200, { id: userId, name: member.name ?? userId, email: member.email, userPrincipalName: member.userPrincipalName });
    }
    if (path === "/v3/conversations" && req.method === "POST") {
      const userId = body?.members?.[0]?.id as string | undefined;
      if (!userId || notInstalled.has(userId)) {
        record("create-refused");
        return json(403, { error: { code: "Forbidden", message: "The bot is not part of the conversation roster." } });
      }
      const id = `a:personal-${userId}`;
      record("create", { conversationId: id });
      return json(201, { id });
    }
    record("other");
    json(404, { error: { code: "NotFound", message: path } });
  }

  const server = createServer((req, res) => void handle(req, res).catch(() => res.writeHead(500).end()));
  await new Promise<void>((resolve) => server.listen(0, options.host ?? "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    calls,
    members,
    notInstalled,
    throttle(n, seconds, conversationId) {
      throttled = n;
      throttledConversation = conversationId;
      retryAfter = seconds;
    },
    messages: () => calls.filter((c) => c.kind === "send" || c.kind === "reply"),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
