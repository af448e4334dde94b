// Moving the selected keys out of this tag into another of the merchant's tags.
import { useState } from "react";
import { LibraryModal, MoveKeysBody, type TagOption } from "~/components/LibraryModals";
import type { SelectionDialogProps, SelectionPreview } from "./dialog";

export function MoveKeysDialog({
  tagName,
  tagOptions,
  onClose,
  preview,
  change,
  selectionFields,
}: SelectionDialogProps & { tagName: string; tagOptions: TagOption[] }) {
  const [destination, setDestination] = useState<TagOption | null>(null);
  const selection = preview.data as SelectionPreview | undefined;
  const changeError = change.error;
  return (
    <LibraryModal
      open
      title="Move licence keys"
      onClose={onClose}
      previewLoading={preview.loading}
      error={changeError && changeError.field !== "destination" ? changeError.message : preview.error}
      primaryAction={{
        content: "Move keys",
        loading: change.busy,
        disabled: !destination || Boolean(preview.error),
        onAction: () =>
          destination && change.submit("move-keys", { ...selectionFields(), destination: String(destination.id) }),
      }}
    >
      {selection && (
        <MoveKeysBody
          count={selection.keys}
          fromName={tagName}
          options={tagOptions}
          destination={destination}
          onDestinationChange={setDestination}
          error={changeError?.field === "destination" ? changeError.message : undefined}
        />
      )}
    </LibraryModal>
  );
}
