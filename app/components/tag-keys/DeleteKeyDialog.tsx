// Deleting one licence key: the preview names the order it went to, if any.
import { DeleteKeyBody, LibraryModal } from "~/components/LibraryModals";
import type { KeysIndexRow } from "~/components/KeysIndex";
import type { PreviewedDialogProps } from "./dialog";

export function DeleteKeyDialog({
  licenceKey,
  onClose,
  preview,
  change,
}: PreviewedDialogProps & { licenceKey: KeysIndexRow }) {
  return (
    <LibraryModal
      open
      title="Delete licence key?"
      onClose={onClose}
      previewLoading={preview.loading}
      error={change.error?.message ?? preview.error}
      primaryAction={{
        content: "Delete key",
        destructive: true,
        loading: change.busy,
        disabled: Boolean(preview.error),
        onAction: () => change.submit("delete-key", { keyId: String(licenceKey.id) }),
      }}
    >
      <DeleteKeyBody value={licenceKey.value} orderName={(preview.data?.orderName as string | null) ?? null} />
    </LibraryModal>
  );
}
