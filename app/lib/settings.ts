// The settings form: when keys are assigned, what a cancellation does, where reports go. Pure and
// isomorphic.
import { z } from "zod";
import { emailField } from "./input";

export const settingsSchema = z.object({
  assignTrigger: z.enum(["ORDER_CREATED", "ORDER_PAID"], {
    errorMap: () => ({ message: "Choose when keys are assigned." }),
  }),
  cancelPolicy: z.enum(["RETURN_UNVIEWED", "KEEP_ASSIGNED"], {
    errorMap: () => ({ message: "Choose what happens on cancellation." }),
  }),
  reportEmail: emailField,
});

export type SettingsInput = z.infer<typeof settingsSchema>;

export const ASSIGN_TRIGGER_LABELS = {
  ORDER_CREATED: "When the order is created",
  ORDER_PAID: "When the order is paid",
} as const;

export const CANCEL_POLICY_LABELS = {
  RETURN_UNVIEWED: "Return keys the customer never viewed to the pool",
  KEEP_ASSIGNED: "Keep the keys assigned to the order",
} as const;
