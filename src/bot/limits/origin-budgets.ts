import type { OriginBudgets } from "../../flows/kit/flow.ts";
import type { RateLimiter } from "./limiter.ts";

const HOUR_MS = 60 * 60_000;

/**
 * The flows' {@link OriginBudgets} on the shared limiter: `signUpsPerHour`
 * class sign-ups from one origin in any hour, whichever identities they come
 * from, counted across every worker when the limiter is Redis.
 */
export function createOriginBudgets(limiter: RateLimiter, options: { signUpsPerHour: number }): OriginBudgets {
  return {
    async takeSignUp(origin) {
      return (await limiter.take([{ key: `origin:sign-up:${origin}`, limit: options.signUpsPerHour, windowMs: HOUR_MS }])).allowed;
    },
  };
}
