// What the email adapter uses of its links: the API its renderer calls to put
// links in messages, the routes its start() registers, and cancelling for the CLI.
export { createEmailLinks, DEFAULT_LINK_DAYS, linkDaysOf, type EmailLinks, type LinkDeps } from "./links.ts";
export { emailLinkRoutes } from "./routes.ts";
