import { z } from "zod";

/** Credly's production API; a sandbox (https://sandbox-api.credly.com/v1) or a test double is set with CREDLY_API_URL. */
export const CREDLY_API_URL = "https://api.credly.com/v1";

const settingsSchema = z.object({
  CREDLY_ORGANIZATION_ID: z.string().trim().min(1),
  CREDLY_TOKEN: z.string().trim().min(1),
  CREDLY_API_URL: z.url().default(CREDLY_API_URL),
});

export interface CredlySettings {
  organizationId: string;
  token: string;
  apiUrl: string;
}

/**
 * Credly's settings from the environment: the organization and an authorization
 * token (Credly → organization settings → Developers → Authorization tokens),
 * or why they are not usable. Unset or unusable, badges stay self-issued.
 */
export function credlySettings(raw: Record<string, string | undefined>): { ok: true; settings: CredlySettings } | { ok: false; reason: string } {
  const given = Object.fromEntries(Object.entries(raw).filter(([k, v]) => k.startsWith("CREDLY_") && v !== undefined && v !== ""));
  if (!given.CREDLY_ORGANIZATION_ID && !given.CREDLY_TOKEN) return { ok: false, reason: "CREDLY_ORGANIZATION_ID and CREDLY_TOKEN are not set" };
  const parsed = settingsSchema.safeParse(given);
  if (!parsed.success) return { ok: false, reason: parsed.error.issues.map((i) => `${i.path.join(".")} ${i.path[0] === "CREDLY_API_URL" ? "is not a URL" : "is not set"}`).join("; ") };
  const { CREDLY_ORGANIZATION_ID, CREDLY_TOKEN, CREDLY_API_URL: apiUrl } = parsed.data;
  return { ok: true, settings: { organizationId: CREDLY_ORGANIZATION_ID, token: CREDLY_TOKEN, apiUrl: apiUrl.replace(/\/+$/, "") } };
}
