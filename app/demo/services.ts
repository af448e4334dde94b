// Processes the demo starts beside the app (a mail catcher, say), started before the app so their
// settings (SMTP_URL, ...) are in the environment when the app's modules load, and stopped with it.
// Add one with a single line in DEMO_SERVICES.
import { mailCatcherService } from "./mail-catcher";

export interface RunningDemoService {
  /** Lines for the start-up banner, e.g. "Mail: http://localhost:3000/demo/mail". */
  banner?: string[];
  stop(): Promise<void>;
}

export interface DemoService {
  name: string;
  start(options: { dataDir: string }): Promise<RunningDemoService>;
}

export const DEMO_SERVICES: DemoService[] = [mailCatcherService];
