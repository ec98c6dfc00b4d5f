import { createProgram, type Program } from "../../src/program/program.ts";
import { programFileSchema } from "../../src/program/schema.ts";

/** A small program with every kind of requirement, so core tests do not depend on the sample file. */
export function testProgram(): Program {
  return createProgram(
    programFileSchema.parse({
      program: { name: "Test STEPS", organization: "Test City", time_zone: "America/Los_Angeles", start: "2026-06-15", end: "2026-08-07" },
      departments: [
        { slug: "public-works", name: "Public Works" },
        { slug: "fire", name: "Fire" },
      ],
      playlists: [
        {
          slug: "steps",
          title: "STEPS",
          scope: "program",
          badge: { name: "STEPS Civic Explorer", image: "badges/steps.svg", criteria: "Did the program-wide tasks." },
          tasks: [
            { slug: "interview-staff", title: "Interview a city staff member", evidence: "required" },
            { slug: "lunch-and-learn", title: "Lunch and learn", requirement: { count: 2 }, evidence: "none" },
            { slug: "final-presentation", title: "Final presentation", approver: "coordinator" },
          ],
        },
        {
          slug: "public-works",
          title: "Public Works",
          scope: { department: "public-works" },
          badge: { name: "Public Works Explorer", image: "badges/pw.svg", criteria: "Did the department tasks." },
          tasks: [
            { slug: "safety-walk", title: "Safety walk" },
            { slug: "fleet-tour", title: "Fleet tour" },
          ],
        },
        {
          slug: "fire",
          title: "Fire",
          scope: { department: "fire" },
          badge: { name: "Fire Explorer", image: "badges/fire.svg", criteria: "Did the fire tasks." },
          tasks: [{ slug: "station-tour", title: "Station tour" }],
        },
        {
          slug: "early-learning",
          title: "Early Learning",
          scope: "program",
          advanced: true,
          badge: { name: "Early Learning Micro-credential", image: "badges/el.svg", criteria: "42 hours." },
          tasks: [
            { slug: "initial-training", title: "Initial training", requirement: { hours: 2 } },
            { slug: "field-hours", title: "Field hours", requirement: { hours: 20 } },
          ],
        },
      ],
    }),
  );
}

export const rosterCsv = `email,name,role,department,mentor_email
cora@example.org,Cora Coordinator,coordinator,,
max@example.org,Max Mentor,mentor,public-works,
fay@example.org,Fay Mentor,mentor,fire,
ana@example.org,Ana Intern,intern,public-works,max@example.org
ben@example.org,Ben Intern,intern,public-works,max@example.org
cal@example.org,Cal Intern,intern,fire,fay@example.org
`;
