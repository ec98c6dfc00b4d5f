import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { z } from "zod";

// A local stand-in for Credly's Web Service API for organizations, as its
// documentation describes it (https://www.credly.com/docs/web_service_api,
// https://www.credly.com/docs/issued_badges), on a real HTTP server so the
// adapter's own HTTP client, headers and bodies are what is checked:
// - HTTP Basic with the organization's authorization token as the user name
//   and an empty password, else 401;
// - only this organization's paths (else 404), JSON bodies;
// - POST /organizations/<id>/badges with the documented fields (the five
//   required ones, issuer_earner_id, locale, evidence): any other field or a
//   missing one is a 422, as is an unknown template ("Invalid or missing Badge
//   Template ID", the message a public integration's fixture records) and a
//   duplicate: same template and same recipient_email or issuer_earner_id, the
//   documented default;
// - GET /organizations/<id>/badges?filter=issuer_earner_id::<id> (the key::value
//   filter form Credly documents for badge templates; for issued badges that key is
//   not in the documentation Steps could read, so the filter can also be ignored);
// - PUT /organizations/<id>/badges/<badge>/revoke with a reason.
// Faults on demand: answer 503 (or 429) to the next calls, or record the next
// badge and drop the connection before answering, as a lost answer does.

const LOCALES = ["en", "fr", "de", "ko", "ja", "zh-CN", "pt", "es-ES", "es-US", "fr-CA", "pt-BR"] as const;

const issueSchema = z.strictObject({
  recipient_email: z.email(),
  badge_template_id: z.string().min(1),
  issued_at: z.string().regex(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} [+-]\d{4}$/, "is not in the form 2014-04-01 09:41:00 -0500"),
  issued_to_first_name: z.string().min(1),
  issued_to_last_name: z.string().min(1),
  issued_to_middle_name: z.string().optional(),
  issuer_earner_id: z.string().optional(),
  locale: z.enum(LOCALES).optional(),
  suppress_badge_notification_email: z.boolean().optional(),
  expires_at: z.union([z.string(), z.literal(false), z.null()]).optional(),
  evidence: z.array(z.strictObject({ type: z.literal("UrlEvidence"), name: z.string().min(1), value: z.url(), description: z.string().optional() })).optional(),
});

export type IssuedAtDouble = z.infer<typeof issueSchema> & { id: string; state: "pending" | "accepted" | "revoked"; revocation_reason: string | null };

export interface CredlyRequest {
  method: string;
  path: string;
  body: unknown;
}

export interface CredlyDouble {
  /** Base URL for CREDLY_API_URL. */
  url: string;
  organizationId: string;
  token: string;
  /** Known badge templates; others are refused. */
  templates: Set<string>;
  badges: IssuedAtDouble[];
  /** Every request that passed authentication, in order. */
  requests: CredlyRequest[];
  /** Requests refused for their credentials. */
  unauthorized: number;
  /**
   * The list of issued badges answered whole, whatever its filter: what a Credly that did
   * not know `issuer_earner_id` as a filter key might do (its documentation does not list it).
   */
  ignoreFilter: boolean;
  /** The next `count` requests are answered with this status. */
  failNext(count: number, status?: number, retryAfterSeconds?: number): void;
  /** The next issue is recorded, then the connection is dropped before the answer. */
  dropNextAnswer(): void;
  /** The next issue is recorded, then answered 201 with a body that is not a badge. */
  garbleNextAnswer(): void;
  /** The next issue is recorded, then answered only once `hook` has run (what Steps does meanwhile). */
  beforeNextAnswer(hook: () => Promise<void>): void;
  close(): Promise<void>;
}

export async function startCredlyDouble(options: { templates: string[] }): Promise<CredlyDouble> {
  const organizationId = randomUUID();
  const token = `tok-${randomUUID()}`;
  let failing: { count: number; status: number; retryAfter?: number } = { count: 0, status: 503 };
  let dropNext = false;
  let garbleNext = false;
  let beforeAnswer: (() => Promise<void>) | undefined;

  const answer = (res: ServerResponse, status: number, data: unknown, metadata: unknown = {}) => {
    res.writeHead(status, { "content-type": "application/json; charset=utf-8" });
    res.end(JSON.stringify({ data, metadata }));
  };
  const refuse = (res: ServerResponse, status: number, message: string) => answer(res, status, { message }, null);
  const view = (b: IssuedAtDouble) => ({
    ...b,
    badge_template: { id: b.badge_template_id },
    accept_badge_url: `https://www.credly.com/badges/${b.id}/accept`,
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const expected = `Basic ${Buffer.from(`${token}:`).toString("base64")}`;
    if (req.headers.authorization !== expected) {
      double.unauthorized++;
      return refuse(res, 401, "Unauthorized: use the organization's authorization token as the Basic user name");
    }
    const url = new URL(req.url ?? "/", "http://credly.test");
    const prefix = `/v1/organizations/${organizationId}/badges`;
    const text = await new Promise<string>((resolve) => {
      let body = "";
      req.on("data", (c: Buffer) => (body += c.toString("utf8")));
      req.on("end", () => resolve(body));
    });
    if (text && !req.headers["content-type"]?.startsWith("application/json")) return refuse(res, 415, "Content-Type must be application/json");
    let body: unknown;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      return refuse(res, 400, "Body is not JSON");
    }
    double.requests.push({ method: req.method ?? "", path: `${url.pathname}${url.search}`, body });
    if (failing.count > 0) {
      failing.count--;
      if (failing.retryAfter !== undefined) res.setHeader("retry-after", String(failing.retryAfter));
      return refuse(res, failing.status, failing.status === 429 ? "Too Many Requests" : "Service Unavailable");
    }
    if (!url.pathname.startsWith(prefix)) return refuse(res, 404, "Not found");
    const rest = url.pathname.slice(prefix.length);

    if (req.method === "POST" && rest === "") {
      const parsed = issueSchema.safeParse(body);
      if (!parsed.success) return refuse(res, 422, parsed.error.issues.map((i) => `${i.path.join(".") || "body"} ${i.message}`).join("; "));
      const b = parsed.data;
      if (!double.templates.has(b.badge_template_id)) return refuse(res, 422, `Invalid or missing Badge Template ID: ${b.badge_template_id}`);
      const duplicate = double.badges.some(
        (x) => x.state !== "revoked" && x.badge_template_id === b.badge_template_id && (x.recipient_email === b.recipient_email || (b.issuer_earner_id && x.issuer_earner_id === b.issuer_earner_id)),
      );
      if (duplicate) return refuse(res, 422, "User already has this badge");
      const badge: IssuedAtDouble = { ...b, id: randomUUID(), state: "pending", revocation_reason: null };
      double.badges.push(badge);
      if (dropNext) {
        dropNext = false;
        // Credly has it; Steps never hears so.
        return void req.socket.destroy();
      }
      if (beforeAnswer) {
        const hook = beforeAnswer;
        beforeAnswer = undefined;
        await hook();
      }
      if (garbleNext) {
        garbleNext = false;
        return answer(res, 201, { unexpected: true });
      }
      return answer(res, 201, view(badge));
    }
    if (req.method === "GET" && rest === "") {
      const filter = url.searchParams.get("filter") ?? "";
      const [key, value] = filter.split("::");
      const found = double.ignoreFilter || !filter ? double.badges : key === "issuer_earner_id" ? double.badges.filter((b) => b.issuer_earner_id === value) : [];
      return answer(res, 200, found.map(view), { count: found.length, current_page: 1, total_count: found.length, total_pages: 1, per: 50, previous_page_url: null, next_page_url: null });
    }
    const revoke = /^\/([^/]+)\/revoke$/.exec(rest);
    if (req.method === "PUT" && revoke) {
      const badge = double.badges.find((b) => b.id === decodeURIComponent(revoke[1]!));
      if (!badge) return refuse(res, 404, "Badge not found");
      const reason = z.object({ reason: z.string().min(1), suppress_revoke_notification_email: z.boolean().optional() }).safeParse(body);
      if (!reason.success) return refuse(res, 422, "reason is required");
      if (badge.state === "revoked") return refuse(res, 422, "Badge has already been revoked");
      badge.state = "revoked";
      badge.revocation_reason = reason.data.reason;
      return answer(res, 200, view(badge));
    }
    return refuse(res, 404, "Not found");
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => refuse(res, 500, String(error)));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;

  const double: CredlyDouble = {
    url: `http://127.0.0.1:${port}/v1`,
    organizationId,
    token,
    templates: new Set(options.templates),
    badges: [],
    requests: [],
    unauthorized: 0,
    ignoreFilter: false,
    failNext(count, status = 503, retryAfterSeconds) {
      failing = { count, status, retryAfter: retryAfterSeconds };
    },
    dropNextAnswer() {
      dropNext = true;
    },
    garbleNextAnswer() {
      garbleNext = true;
    },
    beforeNextAnswer(hook) {
      beforeAnswer = hook;
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return double;
}

/** What Steps' /healthz says about Credly. */
export async function credlyHealth(server: { url: string }): Promise<unknown> {
  const body = (await (await fetch(`${server.url}/healthz`)).json()) as { parts: Record<string, string> };
  return body.parts.credly;
}

/** The issues Steps asked of the double, in order (the ones refused included). */
export const issuesAt = (double: CredlyDouble): CredlyRequest[] => double.requests.filter((r) => r.method === "POST");

/**
 * A program file (JSON is YAML: the loader reads it as any other) with two
 * badges at Credly: early-learning also self-signed, coaching at Credly only.
 */
export function credlyProgram(templates: { earlyLearning: string; coaching: string }, end: string): string {
  return JSON.stringify({
    program: { name: "Early Learning", organization: "Test City", time_zone: "America/Los_Angeles", start: "2026-06-15", end },
    departments: [{ slug: "child-care", name: "Child Care" }],
    playlists: [
      {
        slug: "early-learning",
        title: "Early Learning",
        scope: "program",
        badge: { name: "Early Learning Micro-credential", image: "el.svg", criteria: "Training, field and coaching hours." },
        issue: { credly: { badge_template_id: templates.earlyLearning } },
        tasks: [{ slug: "initial-training", title: "Initial training" }],
      },
      {
        slug: "coaching",
        title: "Coaching",
        scope: "program",
        badge: { name: "Coaching Badge", image: "c.svg", criteria: "Coached." },
        issue: { credly: { badge_template_id: templates.coaching }, self: false },
        tasks: [{ slug: "coaching-session", title: "Coaching session" }],
      },
    ],
  });
}
