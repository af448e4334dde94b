// Rules about tags shared by the server and the admin UI.
import type { TagKind } from "@prisma/client";

export const AUTO_GENERATED_TAG = "Auto-generated";
export const UNTAGGED_TAG = "No tag";

export const SYSTEM_TAGS: ReadonlyArray<{ name: string; kind: TagKind }> = [
  { name: AUTO_GENERATED_TAG, kind: "AUTO_GENERATED" },
  { name: UNTAGGED_TAG, kind: "UNTAGGED" },
];

export const TAG_NAME_RULE = "Tag names use lowercase letters a-z only: no digits, spaces, capitals or symbols.";
export const TAG_NAME_PATTERN = /^[a-z]{1,64}$/;

export function isSystemTag(kind: TagKind) {
  return kind !== "USER";
}
