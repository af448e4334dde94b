// Linked tags that are out of keys or below their threshold, with a forecast from recent sales.
import { Banner, List, Link, Text } from "@shopify/polaris";
import { daysLeftLabel } from "~/lib/stock";

export interface LowStockBannerTag {
  id: number;
  name: string;
  pending: number;
  threshold: number | null;
  daysLeft: number | null;
  waitingOrders: number;
}

export function LowStockBanner({ tags }: { tags: LowStockBannerTag[] }) {
  if (tags.length === 0) return null;
  const out = tags.filter((tag) => tag.pending === 0);
  return (
    <Banner
      tone={out.length ? "critical" : "warning"}
      title={out.length ? "Some products are out of licence keys" : "Licence keys are running low"}
    >
      <List type="bullet">
        {tags.map((tag) => (
          <List.Item key={tag.id}>
            <Link url={`/app/tags/${tag.id}`} removeUnderline>
              {tag.name}
            </Link>
            :{" "}
            {tag.pending === 0 ? (
              <Text as="span" fontWeight="semibold">
                no keys left
                {tag.waitingOrders > 0
                  ? `, ${tag.waitingOrders} ${tag.waitingOrders === 1 ? "order is" : "orders are"} waiting`
                  : ""}
              </Text>
            ) : (
              <>
                {tag.pending} left (threshold {tag.threshold}), {daysLeftLabel(tag.daysLeft)}
              </>
            )}
          </List.Item>
        ))}
      </List>
      <Text as="p" tone="subdued">
        Waiting orders receive keys automatically, oldest first, as soon as you add keys to the tag.
      </Text>
    </Banner>
  );
}
