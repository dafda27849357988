// What a function returns when "no" is an answer, not an error: the value, or why not. Typed, so a
// caller cannot mistake the reason for the value (as a `T | string` invites).
export type Result<T> = { ok: true; value: T } | { ok: false; why: string };

export const ok = <T>(value: T): Result<T> => ({ ok: true, value });
export const no = <T = never>(why: string): Result<T> => ({ ok: false, why });
