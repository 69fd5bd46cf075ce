import type { PlaceAnswer } from "../../domain/grid/index.ts";
import type { Catalog } from "../i18n/catalog.ts";
import type { Locale } from "../kit/messages.ts";

/** The full "who runs my district" answer as one message, in the user's language. */
export function formatAnswer(answer: PlaceAnswer, t: Catalog, locale: Locale): string {
  const a = t.lookup.answer;
  const { district } = answer;
  const lines: string[] = [];
  if (answer.matchedBy === "location") {
    lines.push(a.located(district.name[locale]));
  } else {
    const place = answer.road ? a.roadPlace(answer.road.name[locale], answer.road.houseNumber) : (answer.neighbourhood?.name[locale] ?? "");
    lines.push(a.belongsTo(place, district.name[locale]));
  }
  lines.push("", a.committee(district.committee.name[locale]));
  for (const member of district.committee.members) {
    const title = member.personName ? `${member.title[locale]} ${member.personName}` : member.title[locale];
    lines.push(a.member(a.roles[member.role], title, member.contact));
  }
  lines.push(a.office(district.committee.officePhone, district.committee.officeHours[locale]), a.address(district.committee.officeAddress));
  if (answer.neighbourhood) {
    const n = answer.neighbourhood;
    lines.push("", a.neighbourhood(n.committee.name[locale], n.committee.phone, n.committee.address));
    if (n.partyOrganisation) lines.push(a.party(n.partyOrganisation));
  }
  if (answer.roadCommittees.length > 0) {
    if (!answer.neighbourhood) lines.push("");
    for (const committee of answer.roadCommittees) lines.push(a.roadCommittee(committee.name[locale], committee.phone));
  }
  if (answer.isSample) lines.push("", a.sample);
  return lines.join("\n");
}
