// What every dialog of a tag's page receives from the page (TagKeysPage), which owns the two fetchers
// of its route's action: the preview of the open dialog, and the change it submits. Each dialog owns
// its own form state and says what the change is.

/** Why the last change was refused, by field when the server named one. */
export interface ChangeError {
  message: string;
  field?: string;
}

/** The preview fetcher's answer for the open dialog (none for dialogs without a preview). */
export interface DialogPreview {
  /** Asked for and not answered yet. */
  loading: boolean;
  error: string | null | undefined;
  data: Record<string, unknown> | undefined;
}

/** The change fetcher: submit an intent with its form fields; busy until it answers. */
export interface DialogChange {
  busy: boolean;
  error: ChangeError | null;
  submit(intent: string, fields?: Record<string, string | string[]>): void;
}

export interface TagDialogProps {
  onClose(): void;
  change: DialogChange;
}

export interface PreviewedDialogProps extends TagDialogProps {
  preview: DialogPreview;
}

/** Bulk actions act on the selection: the ticked keys, or every key matching the list. */
export interface SelectionDialogProps extends PreviewedDialogProps {
  /** The form fields naming the selection, read when the change is submitted. */
  selectionFields(): Record<string, string>;
}

/** The preview of a selection (intent preview-selection). */
export interface SelectionPreview {
  keys: number;
  linkedToOrders: number;
  inOtherTags: number;
}
