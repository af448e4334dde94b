import { BlockStack, Card, InlineGrid, ProgressBar, Text } from "@shopify/polaris";
import { formatCount, pluralize } from "~/lib/library";

export interface LibrarySummaryProps {
  totalKeys: number;
  remaining: number;
  runningLow: number;
}

/** The overview's three figures: every key once, those still to hand out, and tags needing stock. */
export function LibrarySummary({ totalKeys, remaining, runningLow }: LibrarySummaryProps) {
  const handedOut = totalKeys - remaining;
  const usage = totalKeys > 0 ? Math.round((handedOut / totalKeys) * 100) : 0;
  return (
    <InlineGrid columns={{ xs: 1, sm: 3 }} gap="400">
      <div role="group" aria-label="Total keys">
        <Card>
          <BlockStack gap="200">
            <Text as="h2" variant="headingSm" tone="subdued">
              Total keys
            </Text>
            <Text as="p" variant="heading2xl" numeric>
              {formatCount(totalKeys)}
            </Text>
            <Text as="p" variant="bodySm" tone="subdued">
              {totalKeys > 0 ? `${formatCount(handedOut)} handed out` : "No keys yet"}
            </Text>
          </BlockStack>
        </Card>
      </div>
      <div role="group" aria-label="Remaining">
        <Card>
          <BlockStack gap="200">
            <Text as="h2" variant="headingSm" tone="subdued">
              Remaining
            </Text>
            <Text as="p" variant="heading2xl" numeric>
              {formatCount(remaining)}
            </Text>
            <ProgressBar
              progress={usage}
              size="small"
              tone={totalKeys > 0 && remaining === 0 ? "critical" : "primary"}
            />
            <Text as="p" variant="bodySm" tone="subdued">
              {totalKeys > 0 ? `${usage}% used` : "Pending keys wait here for orders"}
            </Text>
          </BlockStack>
        </Card>
      </div>
      <div role="group" aria-label="Tags running low">
        <Card>
          <BlockStack gap="200">
            <Text as="h2" variant="headingSm" tone="subdued">
              Tags running low
            </Text>
            <Text as="p" variant="heading2xl" numeric tone={runningLow > 0 ? "critical" : undefined}>
              {formatCount(runningLow)}
            </Text>
            <Text as="p" variant="bodySm" tone="subdued">
              {runningLow > 0
                ? `${pluralize(runningLow, "tag")} below threshold or out of keys`
                : "Every tag has keys to spare"}
            </Text>
          </BlockStack>
        </Card>
      </div>
    </InlineGrid>
  );
}
