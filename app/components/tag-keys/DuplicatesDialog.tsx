// Cleaning up the tag's duplicate keys: offered only when the preview found some to remove.
import { DuplicatesBody, LibraryModal } from "~/components/LibraryModals";
import { formatCount } from "~/lib/library";
import type { PreviewedDialogProps } from "./dialog";

export function DuplicatesDialog({ tagName, onClose, preview, change }: PreviewedDialogProps & { tagName: string }) {
  const previewData = preview.data;
  return (
    <LibraryModal
      open
      title="Clean up duplicates"
      onClose={onClose}
      previewLoading={preview.loading}
      error={change.error?.message ?? preview.error}
      primaryAction={
        previewData && Number(previewData.remove) > 0
          ? {
              content: `Remove ${formatCount(Number(previewData.remove))} ${previewData.remove === 1 ? "duplicate" : "duplicates"}`,
              destructive: true,
              loading: change.busy,
              onAction: () => change.submit("clean-up-duplicates"),
            }
          : undefined
      }
    >
      {previewData && (
        <DuplicatesBody
          name={tagName}
          duplicateValues={Number(previewData.duplicateValues)}
          remove={Number(previewData.remove)}
          keptInUse={Number(previewData.keptInUse)}
        />
      )}
    </LibraryModal>
  );
}
