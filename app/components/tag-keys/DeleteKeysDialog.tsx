// Deleting the selected keys (or every key matching the list), with how many the selection holds.
import { DeleteKeysBody, LibraryModal } from "~/components/LibraryModals";
import { formatCount } from "~/lib/library";
import type { SelectionDialogProps, SelectionPreview } from "./dialog";

export function DeleteKeysDialog({ onClose, preview, change, selectionFields }: SelectionDialogProps) {
  const selection = preview.data as SelectionPreview | undefined;
  return (
    <LibraryModal
      open
      title={
        selection
          ? `Delete ${selection.keys === 1 ? "1 licence key" : `${formatCount(selection.keys)} licence keys`}?`
          : "Delete licence keys?"
      }
      onClose={onClose}
      previewLoading={preview.loading}
      error={change.error?.message ?? preview.error}
      primaryAction={{
        content: "Delete keys",
        destructive: true,
        loading: change.busy,
        disabled: Boolean(preview.error) || selection?.keys === 0,
        onAction: () => change.submit("delete-keys", selectionFields()),
      }}
    >
      {selection && <DeleteKeysBody {...selection} />}
    </LibraryModal>
  );
}
