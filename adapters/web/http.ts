import type { IncomingMessage, ServerResponse } from "node:http";
import type { z } from "zod";
import { send, type RouteHandler } from "../http.ts";
import { escapeHtml } from "./render.ts";

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

/**
 * True for the loopback interface only. A request that came through a proxy
 * carries a forwarding header and counts as remote even when the proxy is local.
 */
export function isLocal(req: Pick<IncomingMessage, "headers"> & { socket: { remoteAddress?: string | undefined } }): boolean {
  const address = req.socket.remoteAddress ?? "";
  const loopback = address === "::1" || /^(?:::ffff:)?127\.\d+\.\d+\.\d+$/.test(address);
  return loopback && req.headers["x-forwarded-for"] === undefined && req.headers.forwarded === undefined;
}

/** Wraps a playground route: refuses remote clients unless allowed, and turns HttpError into a response. */
export function guard(allowRemote: boolean, handler: RouteHandler): RouteHandler {
  return async (req, res) => {
    try {
      if (!allowRemote && !isLocal(req)) throw new HttpError(403, REFUSED);
      await handler(req, res);
    } catch (error) {
      if (!(error instanceof HttpError)) throw error;
      if (wantsHtml(req)) sendHtml(res, error.status, `<!doctype html><meta charset="utf-8"><title>Steps playground</title><p>${escapeHtml(error.message)}</p>`);
      else send(res, error.status, { ok: false, error: error.message });
    }
  };
}

/** Forms post url-encoded bodies (no-JS), the script posts JSON; both are checked by the same schema. */
export async function readBody<T extends z.ZodType>(req: IncomingMessage, schema: T): Promise<z.infer<T>> {
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

export function sendHtml(res: ServerResponse, status: number, html: string): void {
  res.writeHead(status, { "content-type": "text/html; charset=utf-8", "cache-control": "no-store", ...SECURITY_HEADERS });
  res.end(html);
}

export function redirect(res: ServerResponse, location: string): void {
  res.writeHead(303, { location });
  res.end();
}

/** The page loads only its own script and style; nothing inline can run. */
export const SECURITY_HEADERS = {
  "content-security-policy": "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
};
