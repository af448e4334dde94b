// Low stock: the threshold field and how forecasts read (keys a day, days left). Pure and isomorphic.
import { z } from "zod";

export const thresholdSchema = z
  .string()
  .trim()
  .transform((value, ctx) => {
    if (value === "") return null;
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1 || n > 1_000_000) {
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        message: "Enter a whole number from 1 to 1,000,000, or leave it empty.",
      });
      return z.NEVER;
    }
    return n;
  });

/** Keys a day, as the forecasts print it: whole numbers from 10 up, one decimal below. */
export function formatPerDay(perDay: number) {
  return String(perDay >= 10 ? Math.round(perDay) : Math.round(perDay * 10) / 10);
}

export function daysLeftLabel(daysLeft: number | null) {
  if (daysLeft === null) return "no recent sales";
  if (daysLeft < 1) return "less than a day left";
  return `about ${daysLeft} ${daysLeft === 1 ? "day" : "days"} left`;
}
