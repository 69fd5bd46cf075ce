// Mainland mobile numbers, optionally with +86 and separators: keep the first
// three and last four digits (138****5678), enough for staff to tell numbers apart.
const MOBILE = /(?<!\d)(?:\+?86[\s-]?)?(1[3-9]\d)[\s-]?(\d{4})[\s-]?(\d{4})(?!\d)/g;
// 18-character resident ID numbers: keep the first three and last two characters.
const ID_CARD = /(?<![0-9A-Za-z])(\d{3})\d{13}([\dXx]{2})(?![0-9A-Za-z])/g;
// Landlines with an area code (021-6453 1234, 0755 12345678): keep the area code and last two digits.
const LANDLINE = /(?<!\d)(0\d{2,3})[\s-]?\d{3,4}[\s-]?\d{2}(\d{2})(?!\d)/g;

/**
 * Masks phone and ID-card numbers in free text. Used wherever a resident's
 * words are shown to anyone but the staff handling the case (merchants,
 * followers, other residents, group alerts) and in every log line.
 */
export function maskPersonalNumbers(text: string): string {
  return text
    .replace(ID_CARD, "$1*************$2")
    .replace(MOBILE, "$1****$3")
    .replace(LANDLINE, "$1-****$2");
}
