import type { IncomingMessage } from "node:http";
import { publicUrl, type Env } from "../src/config.ts";

// Steps' surfaces without authentication (the playground, Teams with TEAMS=1
// and no app id) let whoever reaches them act as anyone on the roster. This
// is the one check they share that a request comes from this computer, was
// addressed to it, and was not sent by another web site's page.

export type LocalRequest = Pick<IncomingMessage, "headers" | "method"> & { socket: { remoteAddress?: string | undefined } };

/** Why a request is refused: not from this computer, addressed to another host name, or sent by another site. */
export type Refusal = "remote" | "host" | "cross-site";

export interface LocalPolicy {
  /** Lets other machines connect (PLAYGROUND_HOST_OK=1); the host and same-site checks still apply. */
  allowRemote?: boolean;
  /** Host names answered besides the loopback ones (lower case, e.g. the host of PUBLIC_URL). */
  hosts?: readonly string[];
}

/** localhost, 127.0.0.0/8 or [::1] as a URL or Host header spells them. */
export function isLoopbackHost(hostname: string): boolean {
  return hostname === "localhost" || hostname === "[::1]" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(hostname);
}

/** An http(s) URL on this computer: where a caller without authentication may have Steps send requests. */
export function isLoopbackUrl(url: string): boolean {
  try {
    const parsed = new URL(url);
    return (parsed.protocol === "http:" || parsed.protocol === "https:") && isLoopbackHost(parsed.hostname);
  } catch {
    return false;
  }
}

/** The address the connection came from is the loopback interface. */
export function isLoopbackAddress(address: string): boolean {
  return address === "::1" || /^(?:::ffff:)?127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(address);
}

/**
 * Headers a proxy adds to say whom it forwards for. A proxy on this computer
 * connects from the loopback interface, so any one of them (including ones
 * named by vendors: X-Real-IP, CF-Connecting-IP, …) means the caller is elsewhere.
 */
const FORWARDING = /forwarded|^via$|-ip$|^x-(?:original-)?host$/;

export function isForwarded(headers: IncomingMessage["headers"]): boolean {
  return Object.keys(headers).some((name) => FORWARDING.test(name));
}

/** The host name of a Host header, lower case; undefined when it is missing or not a plain host[:port]. */
export function hostOf(header: string | undefined): string | undefined {
  const match = /^(\[[0-9a-f:.]+\]|[a-z0-9.-]+)(?::\d{1,5})?$/i.exec(header ?? "");
  return match?.[1]!.toLowerCase();
}

/**
 * Browsers say where a request comes from: Sec-Fetch-Site, and Origin on every
 * POST. Anything but the page's own origin (another port of localhost is
 * "same-site" yet another origin) is refused. Clients that send neither are
 * not browsers, so no other page can have made them send it.
 */
export function isCrossSite(req: LocalRequest): boolean {
  const site = req.headers["sec-fetch-site"];
  if (site !== undefined && site !== "same-origin" && site !== "none") return true;
  const origin = req.headers.origin;
  if (origin === undefined) return false;
  try {
    return new URL(origin).host !== (req.headers.host ?? "").toLowerCase();
  } catch {
    // "null": a sandboxed frame, a file, a redirect from elsewhere.
    return true;
  }
}

/** Undefined when this request may use a surface without authentication, else why not. A GET changes nothing, so only other methods are checked for their site. */
export function refusal(req: LocalRequest, policy: LocalPolicy = {}): Refusal | undefined {
  if (!policy.allowRemote && (!isLoopbackAddress(req.socket.remoteAddress ?? "") || isForwarded(req.headers))) return "remote";
  // A DNS name pointed at this computer (DNS rebinding) still names itself in Host.
  const host = hostOf(req.headers.host);
  if (!host || !(isLoopbackHost(host) || policy.hosts?.includes(host))) return "host";
  if (req.method !== "GET" && req.method !== "HEAD" && isCrossSite(req)) return "cross-site";
  return undefined;
}

/**
 * Who may open the playground and the pages it frames (the email previews):
 * this computer; with PLAYGROUND_HOST_OK=1 other machines too, by the host
 * name of PUBLIC_URL (any other name may be a DNS rebinding).
 */
export function playgroundPolicy(env: Env): LocalPolicy {
  const allowRemote = env.raw.PLAYGROUND_HOST_OK === "1";
  return { allowRemote, hosts: allowRemote ? [new URL(publicUrl(env)).hostname] : [] };
}
