// Renaming the tag (no preview): Enter in the field submits as the button does.
import { useState } from "react";
import { LibraryModal, RenameTagBody } from "~/components/LibraryModals";
import type { TagDialogProps } from "./dialog";

export function RenameTagDialog({ tagName, onClose, change }: TagDialogProps & { tagName: string }) {
  const [newName, setNewName] = useState(tagName);
  const changeError = change.error;
  return (
    <LibraryModal
      open
      title={`Rename ${tagName}`}
      onClose={onClose}
      error={changeError && changeError.field !== "name" ? changeError.message : null}
      primaryAction={{
        content: "Rename",
        loading: change.busy,
        disabled: newName.trim() === "" || newName === tagName,
        onAction: () => change.submit("rename", { name: newName }),
      }}
    >
      <form
        onSubmit={(event) => {
          event.preventDefault();
          if (newName !== tagName) change.submit("rename", { name: newName });
        }}
      >
        <RenameTagBody
          value={newName}
          onChange={setNewName}
          error={changeError?.field === "name" ? changeError.message : undefined}
        />
      </form>
    </LibraryModal>
  );
}
