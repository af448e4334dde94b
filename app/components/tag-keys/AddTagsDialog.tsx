// Adding tags (existing ones, or new names) to the selected keys; they keep this tag too.
import { useState } from "react";
import { AddTagsBody, LibraryModal, type TagOption } from "~/components/LibraryModals";
import type { SelectionDialogProps, SelectionPreview } from "./dialog";

export function AddTagsDialog({
  tagOptions,
  onClose,
  preview,
  change,
  selectionFields,
}: SelectionDialogProps & { tagOptions: TagOption[] }) {
  const [chosenTags, setChosenTags] = useState<TagOption[]>([]);
  const [newTags, setNewTags] = useState<string[]>([]);
  const selection = preview.data as SelectionPreview | undefined;
  const changeError = change.error;
  return (
    <LibraryModal
      open
      title="Add tags"
      onClose={onClose}
      previewLoading={preview.loading}
      error={
        changeError && changeError.field !== "destination" && changeError.field !== "tags"
          ? changeError.message
          : preview.error
      }
      primaryAction={{
        content: "Add tags",
        loading: change.busy,
        disabled: (chosenTags.length === 0 && newTags.length === 0) || Boolean(preview.error),
        onAction: () =>
          change.submit("add-tags", {
            ...selectionFields(),
            tagId: chosenTags.map((option) => String(option.id)),
            newTag: newTags,
          }),
      }}
    >
      {selection && (
        <AddTagsBody
          count={selection.keys}
          options={tagOptions}
          chosen={chosenTags}
          newNames={newTags}
          onChange={(chosen, names) => {
            setChosenTags(chosen);
            setNewTags(names);
          }}
          error={
            changeError?.field === "destination" || changeError?.field === "tags" ? changeError.message : undefined
          }
        />
      )}
    </LibraryModal>
  );
}
