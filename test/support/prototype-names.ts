/**
 * Names every plain JavaScript object answers to though nobody put them there:
 * typed as commands, words or button values, each must be unknown input.
 */
export const PROTOTYPE_NAMES = [
  "constructor",
  "__proto__",
  "toString",
  "hasOwnProperty",
  "valueOf",
  "isPrototypeOf",
  "__defineGetter__",
] as const;
