// Deleting the tag with its keys: the preview counts the keys, orders and products concerned.
import { DeleteTagBody, LibraryModal } from "~/components/LibraryModals";
import { formatCount } from "~/lib/library";
import type { PreviewedDialogProps } from "./dialog";

export function DeleteTagDialog({ tagName, onClose, preview, change }: PreviewedDialogProps & { tagName: string }) {
  const previewData = preview.data;
  return (
    <LibraryModal
      open
      title={`Delete tag ${tagName}?`}
      onClose={onClose}
      previewLoading={preview.loading}
      error={change.error?.message ?? preview.error}
      primaryAction={{
        content: previewData
          ? `Delete tag and ${formatCount(Number(previewData.keys))} ${previewData.keys === 1 ? "key" : "keys"}`
          : "Delete tag",
        destructive: true,
        loading: change.busy,
        disabled: Boolean(preview.error),
        onAction: () => change.submit("delete-tag"),
      }}
    >
      {previewData && (
        <DeleteTagBody
          name={tagName}
          keys={Number(previewData.keys)}
          linkedToOrders={Number(previewData.linkedToOrders)}
          inOtherTags={Number(previewData.inOtherTags)}
          linkedProducts={Number(previewData.linkedProducts)}
        />
      )}
    </LibraryModal>
  );
}
