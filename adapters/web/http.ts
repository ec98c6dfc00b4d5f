import type { IncomingMessage, ServerResponse } from "node:http";
import type { z } from "zod";
import { contentPolicy, send, type RouteHandler } from "../http.ts";
import type { Values } from "../../src/i18n.ts";
import type { Spoken } from "../language.ts";
import { refusal, type LocalPolicy, type Refusal } from "../local-only.ts";
import { escapeHtml } from "./render.ts";
import type { FormTokens } from "./token.ts";

/** A sentence from the catalogs, said in the reader's language once the guard knows it. */
export type Said = [key: string, values?: Values];

/**
 * A request the playground answers with a status and a sentence, never a stack.
 * What a person reads in a browser is a catalog sentence; what only scripts
 * get (a bad field of the API) stays as written.
 */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly said: string | Said,
  ) {
    super(typeof said === "string" ? said : said[0]);
  }
}

const MAX_BODY = 16 * 1024;

/** Who may use the playground (see adapters/local-only.ts), where it is opened, and how to speak to whoever asks. */
export interface Access extends LocalPolicy {
  home: string;
  /** The reader's words: their browser's language when Steps speaks it, else the program's. */
  reader(req: IncomingMessage): Spoken;
}

function refusalText(reason: Refusal, access: Access, lang: string): Said {
  switch (reason) {
    case "remote":
      return ["page.refused_remote"];
    case "host":
      return ["page.refused_host", { hosts: new Intl.ListFormat(lang, { type: "disjunction" }).format(["localhost", ...(access.hosts ?? [])]), home: access.home }];
    case "cross-site":
      return ["page.refused_cross_site"];
  }
}

/** Wraps a playground route: refuses other machines, other host names and other sites, and turns HttpError into a response. */
export function guard(access: Access, handler: RouteHandler): RouteHandler {
  return async (req, res) => {
    try {
      const reason = refusal(req, access);
      if (reason) throw new HttpError(403, refusalText(reason, access, access.reader(req).language));
      await handler(req, res);
    } catch (error) {
      if (!(error instanceof HttpError)) throw error;
      const { language: lang, say } = access.reader(req);
      const text = typeof error.said === "string" ? error.said : say(...error.said);
      if (wantsHtml(req)) sendHtml(res, error.status, `<!doctype html><html lang="${escapeHtml(lang)}"><meta charset="utf-8"><title>${escapeHtml(say("page.heading"))}</title><p>${escapeHtml(text)}</p>`);
      else send(res, error.status, { ok: false, error: text });
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
    if (size > MAX_BODY) throw new HttpError(413, ["page.too_large", { kb: MAX_BODY / 1024 }]);
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
  if (!tokens.valid(typeof data === "object" && data !== null ? (data as { token?: unknown }).token : undefined)) throw new HttpError(403, ["page.no_token"]);
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
