import badges from "../adapters/badges/index.ts";
import credly from "../adapters/credly/index.ts";
import email from "../adapters/email/index.ts";
import type { PlatformAdapter } from "../adapters/platform.ts";
import slack from "../adapters/slack/index.ts";
import teams from "../adapters/teams/index.ts";
import web from "../adapters/web/index.ts";

/** Every adapter the app is built from: a new platform is a folder under adapters/ and one line here. */
export const adapters: PlatformAdapter[] = [badges, slack, teams, web, email, credly];
