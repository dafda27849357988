import { z } from 'zod';

/** The text of anything thrown; a schema failure as its issues on one line, not zod's JSON dump. */
export const errorMessage = (e: unknown): string => {
  if (e instanceof z.ZodError) {
    return e.issues
      .map((i) => (i.path.length ? `${i.path.map(String).join('.')}: ${i.message}` : i.message))
      .join('; ');
  }
  return e instanceof Error ? e.message : String(e);
};
