import { z } from "zod";
import type { Env } from "../../src/config.ts";

const teamsEnv = z
  .object({
    MICROSOFT_APP_ID: z.string().trim().min(1).optional(),
    MICROSOFT_APP_PASSWORD: z.string().min(1).optional(),
    MICROSOFT_APP_TENANT_ID: z.string().trim().min(1).optional(),
    MICROSOFT_APP_TYPE: z.enum(["MultiTenant", "SingleTenant", "UserAssignedMSI"]).default("MultiTenant"),
    TEAMS: z.enum(["0", "1"]).optional(),
  })
  .superRefine((v, ctx) => {
    if (!v.MICROSOFT_APP_ID) return;
    if (v.MICROSOFT_APP_TYPE !== "UserAssignedMSI" && !v.MICROSOFT_APP_PASSWORD) {
      ctx.addIssue({ code: "custom", path: ["MICROSOFT_APP_PASSWORD"], message: "is required with MICROSOFT_APP_ID (the client secret of the bot's app registration)" });
    }
    if (v.MICROSOFT_APP_TYPE !== "MultiTenant" && !v.MICROSOFT_APP_TENANT_ID) {
      ctx.addIssue({ code: "custom", path: ["MICROSOFT_APP_TENANT_ID"], message: `is required when MICROSOFT_APP_TYPE is ${v.MICROSOFT_APP_TYPE}` });
    }
  });

export type TeamsEnv = z.infer<typeof teamsEnv>;

export function readTeamsEnv(env: Env): TeamsEnv {
  const parsed = teamsEnv.safeParse(Object.fromEntries(Object.entries(env.raw).filter(([, v]) => v !== "")));
  if (!parsed.success) throw new Error(`Invalid Teams settings:\n${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("\n")}`);
  return parsed.data;
}

export const NOT_LOCAL =
  "Steps answers /api/messages without MICROSOFT_APP_ID (TEAMS=1, for local testing) only from this computer, at localhost, and not from web pages. To serve Teams, set MICROSOFT_APP_ID.";
export const SERVICE_URL_NOT_LOCAL =
  "Without MICROSOFT_APP_ID (TEAMS=1) an activity's serviceUrl must be on this computer (localhost, 127.0.0.1 or [::1]): Steps sends its replies there.";

