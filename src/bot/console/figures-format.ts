import type { Locale } from "../../flows/kit/messages.ts";
import { catalog } from "./i18n.ts";

/*
 * How the figures and board pages write numbers: per locale (grouping,
 * percent signs), and durations of working time as staff say them ("1 working
 * day 3.5 h"), so a median of 600 minutes is not read as ten hours of waiting.
 */

const units = catalog(
  {
    none: "—",
    minutes: (n: string) => `${n} 分钟`,
    hours: (n: string) => `${n} 小时`,
    days: (n: string) => `${n} 个工作日`,
    daysAndHours: (days: string, hours: string) => `${days} 个工作日 ${hours} 小时`,
  },
  {
    none: "—",
    minutes: (n: string) => `${n} min`,
    hours: (n: string) => `${n} h`,
    days: (n: string) => `${n} working ${n === "1" ? "day" : "days"}`,
    daysAndHours: (days: string, hours: string) => `${days} working ${days === "1" ? "day" : "days"} ${hours} h`,
  },
);

/** Number formats of one locale, made once per page. */
export interface FiguresFormat {
  /** A count, grouped as the locale groups digits. */
  count(value: number): string;
  /** A share (0–1) as a percentage with at most one decimal; "—" for null. */
  percent(value: number | null): string;
  /** A number with at most one decimal (an average rating); "—" for null. */
  decimal(value: number | null): string;
  /** Working minutes as working days and hours (a working day is `minutesPerDay`); "—" for null. */
  workingTime(minutes: number | null): string;
}

/** The formats of `locale` for a town whose working day has `minutesPerDay` minutes. */
export function figuresFormat(locale: Locale, minutesPerDay: number): FiguresFormat {
  const tag = locale === "zh" ? "zh-CN" : "en-GB";
  const whole = new Intl.NumberFormat(tag, { maximumFractionDigits: 0 });
  const oneDecimal = new Intl.NumberFormat(tag, { maximumFractionDigits: 1 });
  const percent = new Intl.NumberFormat(tag, { style: "percent", maximumFractionDigits: 1 });
  const text = units[locale];
  return {
    count: (value) => whole.format(value),
    percent: (value) => (value === null ? text.none : percent.format(value)),
    decimal: (value) => (value === null ? text.none : oneDecimal.format(value)),
    workingTime(minutes) {
      if (minutes === null) return text.none;
      if (minutes < 60) return text.minutes(whole.format(minutes));
      const days = Math.floor(minutes / minutesPerDay);
      const hours = Math.round(((minutes - days * minutesPerDay) / 60) * 10) / 10;
      if (days === 0) return text.hours(oneDecimal.format(hours));
      if (hours === 0) return text.days(whole.format(days));
      return text.daysAndHours(whole.format(days), oneDecimal.format(hours));
    },
  };
}
