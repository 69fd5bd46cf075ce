import { normalize } from "../grid/text.ts";
import type { PersonalDataRefusal } from "./classes.ts";

/*
 * The personal data a resident gives to sign up for a class or join the talent
 * pool, checked the same way for both before anything is stored.
 */

/** Mainland mobile numbers: 11 digits starting 13–19. */
const MOBILE = /^1[3-9]\d{9}$/;
const MAX_NAME = 40;
const MAX_SKILLS = 10;
const MAX_SKILL_LENGTH = 30;

/** A mobile number as typed (spaces, dashes, +86) reduced to its 11 digits; undefined when it is not a mainland mobile. */
export function normalizeMobile(input: string): string | undefined {
  const digits = input.replace(/[\s\-()]/g, "").replace(/^(?:\+?86)(?=1\d{10}$)/, "");
  return MOBILE.test(digits) ? digits : undefined;
}

/** Skills trimmed and shortened, blanks and repeats (any case or width) dropped, at most {@link MAX_SKILLS}, in the order given. */
export function cleanSkills(skills: readonly string[] | undefined): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const raw of skills ?? []) {
    const skill = raw.trim().slice(0, MAX_SKILL_LENGTH);
    if (skill === "" || seen.has(normalize(skill))) continue;
    seen.add(normalize(skill));
    out.push(skill);
  }
  return out.slice(0, MAX_SKILLS);
}

/** Validates the personal data shared by sign-up and the talent pool, in the order a resident is asked to fix it. */
export function checkPersonalData(input: {
  name: string;
  mobile: string;
  privacyAccepted: boolean;
}): PersonalDataRefusal | { name: string; mobile: string } {
  if (!input.privacyAccepted) return { type: "privacyNotAccepted" };
  const name = input.name.trim();
  if (name === "" || name.length > MAX_NAME) return { type: "invalidName" };
  const mobile = normalizeMobile(input.mobile);
  if (mobile === undefined) return { type: "invalidMobile" };
  return { name, mobile };
}
