import { describe, expect, it } from "vitest";
import { closest, editDistance } from "../src/suggest.ts";

const tasks = ["interview-staff", "interview-mayor", "shadow-day", "site-visit", "write-memo"];

describe("editDistance", () => {
  it.each([
    ["", "", 0],
    ["abc", "", 3],
    ["done", "done", 0],
    ["dnoe", "done", 1],
    ["kitten", "sitting", 3],
    ["ca", "abc", 3],
  ])("%s → %s is %i", (a, b, d) => {
    expect(editDistance(a, b)).toBe(d);
    expect(editDistance(b, a)).toBe(d);
  });
});

describe("closest", () => {
  it("suggests a typo fix first", () => {
    expect(closest("intervew-staff", tasks)).toEqual(["interview-staff"]);
    expect(closest("intervew-mayr", tasks)).toEqual(["interview-mayor"]);
  });

  it("treats a prefix as a hint and ranks the shorter completion first", () => {
    expect(closest("interview", tasks)).toEqual(["interview-mayor", "interview-staff"]);
    expect(closest("shadow", tasks)).toEqual(["shadow-day"]);
  });

  it("finds substrings", () => {
    expect(closest("memo", tasks)).toEqual(["write-memo"]);
  });

  it("ignores case and surrounding space but returns the candidate as given", () => {
    expect(closest("  SHADOW-DAY ", ["Shadow-Day"])).toEqual(["Shadow-Day"]);
  });

  it("leaves out implausible candidates", () => {
    expect(closest("zzz", tasks)).toEqual([]);
    expect(closest("", tasks)).toEqual([]);
  });

  it("respects max and de-duplicates", () => {
    expect(closest("d", ["done", "digest", "pending", "badges", "done"], 2)).toEqual(["done", "digest"]);
    expect(closest("done", ["done"], 0)).toEqual([]);
  });

  it("stays quick on a pasted essay", () => {
    const started = performance.now();
    expect(closest("x".repeat(5000), tasks)).toEqual([]);
    expect(performance.now() - started).toBeLessThan(200);
  });
});
