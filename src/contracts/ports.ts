import { z } from 'zod';

/** A port announced in exec/process results (like WebContainer's `server-ready`), with its preview URL. */
export const AnnouncedPort = z.object({
  port: z.number().int(),
  url: z.string().describe('Preview URL (host form when a preview domain is set); open it with preview_open.'),
});

export const announcedPorts = z
  .array(AnnouncedPort)
  .optional()
  .describe('TCP ports listening in the container while the command runs (absent once it has ended).');
