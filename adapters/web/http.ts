import type { IncomingMessage, ServerResponse } from "node:http";
import type { z } from "zod";
import { contentPolicy, send, type RouteHandler } from "../http.ts";
import { refusal, type LocalPolicy, type Refusal } from "../local-only.ts";
import { escapeHtml } from "./render.ts";
import type { FormTokens } from "./token.ts";

/** A request the playground answers with a status and a sentence, never a stack. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const MAX_BODY = 16 * 1024;

export const REFUSED =
  "The Steps playground only answers on this computer (localhost): anyone who reaches it can act as anyone on the roster. Set PLAYGROUND_HOST_OK=1 to allow other machines.";
export const CROSS_SITE = "The Steps playground refuses requests sent by other web sites: use the playground page itself.";
export const NO_TOKEN =
  "This request carries no valid playground token: reload the page and try again. (Scripts: send the token that GET /playground/people returns.)";

/** Who may use the playground (see adapters/local-only.ts), and where it is opened, for the refusal texts. */
export interface Access extends LocalPolicy {
  home: string;
}

function refusalText(reason: Refusal, access: Access): string {
  switch (reason) {
    case "remote":
      return REFUSED;
    case "host":
      return `The Steps playground answers only when opened at localhost${access.hosts?.length ? ` or ${access.hosts.join(" or ")}` : ""}: open ${access.home} instead.`;
    case "cross-site":
      return CROSS_SITE;
  }
}

/** Wraps a playground route: refuses other machines, other host names and other sites, and turns HttpError into a response. */
export function guard(access: Access, handler: RouteHandler): RouteHandler {
  return async (req, res) => {
    try {
      const reason = refusal(req, access);
      if (reason) throw new HttpError(403, refusalText(reason, access));
      await handler(req, res);
    } catch (error) {
      if (!(error instanceof HttpError)) throw error;
      if (wantsHtml(req)) sendHtml(res, error.status, `<!doctype html><meta charset="utf-8"><title>Steps playground</title><p>${escapeHtml(error.message)}</p>`);
      else send(res, error.status, { ok: false, error: error.message });
    }
  };
}

/**
 * Forms post url-encoded bodies (no-JS), the script posts JSON; both carry the
 * page's token and are checked by the same schema.
 */
export async function readBody<T extends z.ZodType>(req: IncomingMessage, schema: T, tokens: FormTokens): Promise<z.infer<T>> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY) throw new HttpError(413, `The request body is larger than ${MAX_BODY / 1024} KB.`);
    chunks.push(chunk);
  }
  const raw = Buffer.concat(chunks).toString("utf8");
  const type = (req.headers["content-type"] ?? "").split(";")[0]!.trim().toLowerCase();
  let data: unknown;
  if (type === "application/x-www-form-urlencoded") {
    data = Object.fromEntries(new URLSearchParams(raw));
  } else if (type === "application/json") {
    try {
      data = JSON.parse(raw);
    } catch {
      throw new HttpError(400, "The request body is not valid JSON.");
    }
  } else {
    throw new HttpError(415, "Send the body as application/json (or a url-encoded form).");
  }
  if (!tokens.valid(typeof data === "object" && data !== null ? (data as { token?: unknown }).token : undefined)) throw new HttpError(403, NO_TOKEN);
  const parsed = schema.safeParse(data);
  if (!parsed.success) throw new HttpError(400, parsed.error.issues.map((i) => (i.path.length ? `${i.path.join(".")}: ${i.message}` : i.message)).join("; "));
  return parsed.data;
}

export function query(req: IncomingMessage): URLSearchParams {
  return new URL(req.url ?? "/", "http://localhost").searchParams;
}

/** A plain form post (no script) is answered with a page, the script's fetch with JSON. */
export function wantsHtml(req: IncomingMessage): boolean {
  return (req.headers["content-type"] ?? "").startsWith("application/x-www-form-urlencoded") || (req.method === "GET" && (req.headers.accept ?? "").includes("text/html"));
}

/**
 * The page loads only its own script and style; nothing inline can run, and
 * forms post only here. Under no-referrer a browser would send its own form
 * posts with "Origin: null", refused as cross-site: same-origin still sends
 * other sites nothing.
 */
export function sendHtml(res: ServerResponse, status: number, html: string): void {
  res.writeHead(status, {
    "content-type": "text/html; charset=utf-8",
    "cache-control": "no-store",
    "content-security-policy": contentPolicy("default-src 'self'; img-src 'self' data:; form-action 'self'"),
    "referrer-policy": "same-origin",
  });
  res.end(html);
}

export function redirect(res: ServerResponse, location: string): void {
  res.writeHead(303, { location });
  res.end();
}
