// What a list shows in place of its rows when the app refused to run its search (too long, control
// characters): the reason, so the merchant never mistakes an unfiltered list for the matches.
import { Banner, Box } from "@shopify/polaris";

export function SearchRefused({ reason }: { reason: string }) {
  return (
    <Box padding="300">
      <Banner tone="critical" title="This search wasn't run">
        <p>{reason} Shorten the search to see matching results.</p>
      </Banner>
    </Box>
  );
}
