// What the email adapter uses of its links: the API its renderer calls to put
// links in messages, the routes its start() registers, and cancelling and
// sending a new personal link for the CLI, and forgetting expired links for the scheduler.
export { createEmailLinks, forgetExpiredLinks, KEPT_AFTER_EXPIRY_DAYS, type EmailLinks, type LinkDeps } from "./links.ts";
export { emailLinkRoutes } from "./routes.ts";
export { queueWorkLink } from "./work-link.ts";
