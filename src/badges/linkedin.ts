import { TZDate } from "@date-fns/tz";

export interface Certification {
  name: string;
  organization: string;
  issuedAt: Date;
  timeZone: string;
  url: string;
  id: string;
}

/** LinkedIn's "Add to profile" link, pre-filled as a certification; issueMonth is 1-based. */
export function addToProfileUrl(c: Certification): string {
  const issued = new TZDate(c.issuedAt, c.timeZone);
  const params = new URLSearchParams({
    startTask: "CERTIFICATION_NAME",
    name: c.name,
    organizationName: c.organization,
    issueYear: String(issued.getFullYear()),
    issueMonth: String(issued.getMonth() + 1),
    certUrl: c.url,
    certId: c.id,
  });
  return `https://www.linkedin.com/profile/add?${params}`;
}
