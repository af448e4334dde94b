// A tag's recent assignments as bars, one per day, with the low-stock forecast beside them: the
// merchant sees at a glance whether sales are steady, rising or gone, and how long the stock lasts.
import { BlockStack, InlineStack, Text } from "@shopify/polaris";
import { daysLeftLabel, formatPerDay } from "~/lib/stock";
import { formatCount, pluralize } from "~/lib/library";

export interface AssignmentChartProps {
  /** Keys handed out per day, oldest first, the last one today ("YYYY-MM-DD" in the shop's zone). */
  days: Array<{ day: string; keys: number }>;
  perDay: number | null;
  daysLeft: number | null;
  /** Days the rate is averaged over. */
  windowDays: number;
}

const HEIGHT = 64;
const STEP = 10;
const BAR = 7;
// Day strings are calendar dates already in the shop's zone: formatted as UTC, they stay that date.
const dayFormat = new Intl.DateTimeFormat("en-US", { month: "short", day: "numeric", timeZone: "UTC" });
const formatDay = (day: string) => dayFormat.format(new Date(`${day}T00:00:00Z`));

export function AssignmentChart({ days, perDay, daysLeft, windowDays }: AssignmentChartProps) {
  const total = days.reduce((sum, d) => sum + d.keys, 0);
  const max = Math.max(1, ...days.map((d) => d.keys));
  const busiest = days.reduce((best, d) => (d.keys > best.keys ? d : best), days[0]);
  const label =
    total === 0
      ? `No keys handed out in the last ${days.length} days.`
      : `Keys handed out per day over the last ${days.length} days: ${formatCount(total)} in all, ` +
        `most on ${formatDay(busiest.day)} (${formatCount(busiest.keys)}).`;
  const forecast =
    perDay === null
      ? `None in the last ${windowDays} days`
      : `${formatPerDay(perDay)} a day over the last ${windowDays} days, ${daysLeftLabel(daysLeft)}`;

  return (
    <BlockStack gap="200">
      <InlineStack align="space-between" blockAlign="end" gap="200">
        <Text as="h3" variant="headingSm">
          {`Handed out, last ${days.length} days: ${formatCount(total)}`}
        </Text>
        <Text as="p" variant="bodySm" tone="subdued">
          {forecast}
        </Text>
      </InlineStack>
      <svg
        role="img"
        aria-label={label}
        viewBox={`0 0 ${days.length * STEP} ${HEIGHT}`}
        preserveAspectRatio="none"
        width="100%"
        height={HEIGHT}
        style={{ display: "block" }}
      >
        {days.map((d, i) => {
          // Days without sales keep a sliver on the baseline, so the 30 days stay countable.
          const height = d.keys === 0 ? 1 : Math.max(2, (d.keys / max) * HEIGHT);
          return (
            <g key={d.day} data-day={d.day} data-keys={d.keys}>
              <title>{`${formatDay(d.day)}: ${pluralize(d.keys, "key")}`}</title>
              <rect x={i * STEP} y={0} width={STEP} height={HEIGHT} fill="transparent" />
              <rect
                x={i * STEP + (STEP - BAR) / 2}
                y={HEIGHT - height}
                width={BAR}
                height={height}
                rx={1}
                fill={d.keys === 0 ? "var(--p-color-bg-fill-tertiary)" : "var(--p-color-bg-fill-emphasis)"}
              />
            </g>
          );
        })}
      </svg>
      <InlineStack align="space-between">
        <Text as="span" variant="bodySm" tone="subdued">
          {formatDay(days[0].day)}
        </Text>
        <Text as="span" variant="bodySm" tone="subdued">
          Today
        </Text>
      </InlineStack>
    </BlockStack>
  );
}
