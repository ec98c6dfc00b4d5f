/**
 * Polls an observable condition (a fake's call count, a row's status, /healthz) until it holds; never a fixed sleep.
 * `what` may be a function so the failure can say what was seen at the time it gave up.
 */
export async function until(what: string | (() => string), check: () => boolean | Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting until ${typeof what === "string" ? what : what()}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
