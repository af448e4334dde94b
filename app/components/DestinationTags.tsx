// Where imported keys go: existing tags picked from a list, new names typed (a-z), or none ("No tag").
import { Autocomplete, BlockStack, InlineStack, Tag as PolarisTag, Text } from "@shopify/polaris";
import { useMemo, useState } from "react";
import { TAG_NAME_PATTERN, TAG_NAME_RULE } from "~/lib/tags";

export interface DestinationTagsProps {
  /** The shop's own tags. */
  options: string[];
  value: string[];
  onChange(names: string[]): void;
  maxTags: number;
  untaggedName: string;
  error?: string;
}

const SHOWN_OPTIONS = 50;

export function DestinationTags({ options, value, onChange, maxTags, untaggedName, error }: DestinationTagsProps) {
  const [text, setText] = useState("");
  const candidate = text.trim();
  const shown = useMemo(() => {
    const needle = candidate.toLowerCase();
    return options
      .filter((name) => !needle || name.includes(needle))
      .slice(0, SHOWN_OPTIONS)
      .map((name) => ({ value: name, label: name }));
  }, [options, candidate]);
  const exists = options.includes(candidate);
  const full = value.length >= maxTags;
  const canCreate = !full && TAG_NAME_PATTERN.test(candidate) && !exists && !value.includes(candidate);
  const typedInvalid = candidate !== "" && !exists && !TAG_NAME_PATTERN.test(candidate);

  const add = (name: string) => {
    if (!value.includes(name) && value.length < maxTags) onChange([...value, name]);
    setText("");
  };

  return (
    <BlockStack gap="300">
      <Autocomplete
        allowMultiple
        options={shown}
        selected={value.filter((name) => options.includes(name))}
        onSelect={(selected) => {
          const created = value.filter((name) => !options.includes(name));
          onChange([...selected, ...created].slice(0, maxTags));
          setText("");
        }}
        actionBefore={
          canCreate
            ? { content: `Create tag "${candidate}"`, onAction: () => add(candidate) }
            : undefined
        }
        emptyState={
          <Text as="p" tone="subdued">
            {typedInvalid ? TAG_NAME_RULE : "No tag by that name yet."}
          </Text>
        }
        textField={
          <Autocomplete.TextField
            label="Tags"
            value={text}
            onChange={setText}
            autoComplete="off"
            placeholder="Search tags or type a new name"
            helpText={
              full
                ? `At most ${maxTags} tags per import.`
                : `Leave empty to add the keys without a tag (they show under "${untaggedName}"). New tags: lowercase letters a-z.`
            }
            error={error ?? (typedInvalid && shown.length === 0 ? TAG_NAME_RULE : undefined)}
          />
        }
      />
      {value.length > 0 ? (
        <InlineStack gap="200">
          {value.map((name) => (
            <PolarisTag key={name} onRemove={() => onChange(value.filter((other) => other !== name))}>
              {options.includes(name) ? name : `${name} (new)`}
            </PolarisTag>
          ))}
        </InlineStack>
      ) : (
        <Text as="p" tone="subdued">
          Destination: {untaggedName}
        </Text>
      )}
    </BlockStack>
  );
}
