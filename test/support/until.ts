/** Waits for a condition the code under test makes true: polls it, and never asserts after a fixed pause. */
export async function until(condition: () => boolean | Promise<boolean>, what: string | (() => string), timeoutMs = 20_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > end) throw new Error(`timed out waiting until ${typeof what === "string" ? what : what()}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
