import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from "node:http";
import { Agent as HttpsAgent, request as httpsRequest } from "node:https";

/**
 * A fetch for Bolt and its Web API client (their `fetch` option) that sends
 * over node:http(s) with kept-alive sockets. Both only POST a string or form
 * body and read the whole answer, which is all this handles; anything else
 * (a multipart upload, a stream) goes to the global fetch. Why: on a small
 * machine the global fetch cost ~0.75 ms of CPU per Slack call against
 * ~0.19 ms for this (bench/RESULTS.md), and every command makes two or three.
 */

/** Without a timeout a Slack call that never answers would hold its outbox lease forever. */
const TIMEOUT_MS = 30_000;
const NULL_BODY = new Set([101, 204, 205, 304]);

export function createSlackFetch(): { fetch: typeof fetch; close(): void } {
  const agents = { "http:": new HttpAgent({ keepAlive: true }), "https:": new HttpsAgent({ keepAlive: true }) };

  const slackFetch = (async (input: string | URL | Request, init: RequestInit = {}) => {
    const url = input instanceof Request ? undefined : new URL(input);
    const body = init.body instanceof URLSearchParams ? init.body.toString() : init.body;
    if (!url || !(url.protocol in agents) || (body !== undefined && body !== null && typeof body !== "string")) return fetch(input, init);
    const headers = new Headers(init.headers);
    if (typeof body === "string") headers.set("content-length", String(Buffer.byteLength(body)));
    if (init.body instanceof URLSearchParams && !headers.has("content-type")) headers.set("content-type", "application/x-www-form-urlencoded;charset=UTF-8");
    const send = url.protocol === "https:" ? httpsRequest : httpRequest;
    const res = await new Promise<IncomingMessage>((resolve, reject) => {
      const req = send(url, { method: init.method ?? "GET", headers: Object.fromEntries(headers), agent: agents[url.protocol as keyof typeof agents], timeout: TIMEOUT_MS, signal: init.signal ?? undefined }, resolve);
      req.on("timeout", () => req.destroy(new Error(`no answer from ${url.host} in ${TIMEOUT_MS / 1000} s`)));
      req.on("error", reject);
      req.end(body ?? undefined);
    });
    const chunks: Buffer[] = [];
    for await (const chunk of res) chunks.push(chunk as Buffer);
    const status = res.statusCode ?? 0;
    if (status >= 300 && status < 400 && init.redirect === "error") throw new TypeError(`redirected (${status}) from ${url.href}`);
    const responseHeaders = new Headers();
    for (const [name, value] of Object.entries(res.headers)) {
      if (value !== undefined) responseHeaders.set(name, Array.isArray(value) ? value.join(", ") : value);
    }
    return new Response(NULL_BODY.has(status) ? null : Buffer.concat(chunks), { status, statusText: res.statusMessage ?? "", headers: responseHeaders });
  }) as typeof fetch;

  return {
    fetch: slackFetch,
    close() {
      agents["http:"].destroy();
      agents["https:"].destroy();
    },
  };
}
