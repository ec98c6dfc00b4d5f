import { z } from "zod";
import type { CredlySettings } from "./config.ts";

// Credly's Web Service API for organizations (https://www.credly.com/docs/web_service_api):
// JSON over HTTPS, HTTP Basic with the organization's authorization token as the
// user name and no password, answers wrapped as { data, metadata }.

/** An issued badge as Credly answers it (https://www.credly.com/docs/issued_badges); only what Steps reads. */
const badgeSchema = z.object({
  id: z.string().min(1),
  state: z.string(),
  issuer_earner_id: z.string().nullish(),
  badge_template: z.object({ id: z.string() }).nullish(),
  badge_url: z.url().nullish(),
  accept_badge_url: z.url().nullish(),
});
export type CredlyBadge = z.infer<typeof badgeSchema>;

const one = z.object({ data: badgeSchema });
const list = z.object({ data: z.array(badgeSchema) });
/** Error answers carry a message (`{ data: { message } }`), sometimes a list of them. */
const errorBody = z.object({ data: z.object({ message: z.string().optional(), errors: z.array(z.unknown()).optional() }).loose() }).loose();

/** What Steps sends to issue a badge: the fields Credly requires, and its own award id as the reference. */
export interface IssueRequest {
  recipient_email: string;
  badge_template_id: string;
  /** Credly's documented form: "2014-04-01 09:41:00 -0500". */
  issued_at: string;
  issued_to_first_name: string;
  issued_to_last_name: string;
  /** "allows you to attach your own system's user ID to a badge": Steps' award id, Credly having no idempotency key. */
  issuer_earner_id: string;
  locale: string;
  evidence: { type: "UrlEvidence"; name: string; value: string; description: string }[];
}

/**
 * Why a call did not do what was asked. `lost`: no answer came (the connection broke
 * or timed out), so Credly may have done it; `refused`: Credly answered no (422, 404),
 * with its message; `auth`: the token or organization was refused (401, 403);
 * `unavailable`: try again later (429, 5xx), after `retryAfterMs` when Credly says.
 */
export class CredlyError extends Error {
  constructor(
    readonly kind: "lost" | "refused" | "auth" | "unavailable",
    message: string,
    readonly status?: number,
    readonly retryAfterMs?: number,
  ) {
    super(message);
    this.name = "CredlyError";
  }
}

export type CredlyApi = ReturnType<typeof credlyApi>;

export function credlyApi(settings: CredlySettings, options: { timeoutMs?: number } = {}) {
  const base = `${settings.apiUrl}/organizations/${encodeURIComponent(settings.organizationId)}`;
  const authorization = `Basic ${Buffer.from(`${settings.token}:`).toString("base64")}`;
  const timeoutMs = options.timeoutMs ?? 15_000;

  async function call<T>(method: "GET" | "POST" | "PUT", path: string, schema: z.ZodType<T>, body?: unknown): Promise<T> {
    let res: Response;
    try {
      res = await fetch(`${base}${path}`, {
        method,
        headers: { authorization, accept: "application/json", ...(body === undefined ? {} : { "content-type": "application/json" }) },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (error) {
      const cause = error instanceof Error && error.cause instanceof Error ? `: ${error.cause.message}` : "";
      throw new CredlyError("lost", `no answer from Credly (${error instanceof Error ? error.message : String(error)}${cause})`);
    }
    const text = await res.text().catch(() => "");
    if (res.ok) {
      const parsed = schema.safeParse(parseJson(text));
      // Credly did answer yes, but not in a shape Steps knows: as if the answer were lost, so it is looked up.
      if (!parsed.success) throw new CredlyError("lost", `Credly answered ${res.status} with a body Steps does not understand`);
      return parsed.data;
    }
    const message = errorMessage(text) ?? `HTTP ${res.status}`;
    if (res.status === 401 || res.status === 403) throw new CredlyError("auth", `Credly refused the token for organization ${settings.organizationId} (${res.status}: ${message})`, res.status);
    if (res.status === 429 || res.status >= 500) throw new CredlyError("unavailable", `Credly is unavailable (${res.status}: ${message})`, res.status, retryAfter(res.headers.get("retry-after")));
    // Credly's own words for a 404 are bare ("Not found"): say what to check.
    if (res.status === 404) throw new CredlyError("refused", `${message} (404: check CREDLY_ORGANIZATION_ID and the playlist's badge_template_id)`, res.status);
    throw new CredlyError("refused", message, res.status);
  }

  return {
    /** POST /organizations/<organization_id>/badges: issues a badge; 201 with the badge. */
    async issue(request: IssueRequest): Promise<CredlyBadge> {
      return (await call("POST", "/badges", one, request)).data;
    },
    /**
     * GET /organizations/<organization_id>/badges?filter=issuer_earner_id::<id>: the badges issued
     * under Steps' reference. Credly documents the key::value filter for badge templates and says
     * issuer_earner_id "will be returned in API calls", but lists no issued-badge filter on it that
     * Steps could find: each badge answered must carry the reference itself to count as ours.
     */
    async byEarnerId(earnerId: string): Promise<CredlyBadge[]> {
      const filter = encodeURIComponent(`issuer_earner_id::${earnerId}`);
      return (await call("GET", `/badges?filter=${filter}`, list)).data.filter((b) => b.issuer_earner_id === earnerId);
    },
    /** PUT /organizations/<organization_id>/badges/<id>/revoke with the reason Credly requires. */
    async revoke(badgeId: string, reason: string): Promise<CredlyBadge> {
      return (await call("PUT", `/badges/${encodeURIComponent(badgeId)}/revoke`, one, { reason, suppress_revoke_notification_email: false })).data;
    },
  };
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function errorMessage(text: string): string | undefined {
  const parsed = errorBody.safeParse(parseJson(text));
  if (!parsed.success) return undefined;
  const { message, errors } = parsed.data.data;
  const listed = (errors ?? []).map((e) => (typeof e === "string" ? e : JSON.stringify(e)));
  return [message, ...listed].filter(Boolean).join("; ") || undefined;
}

/** Retry-After in seconds (what Credly's rate limit would send); an HTTP date is waited out too. */
function retryAfter(header: string | null): number | undefined {
  if (!header) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}
