// Dates and counts as the page shows them, without Intl: the first Date#toLocaleString() of a page
// builds its date formatter, measured at 20 ms here (80 ms on Lighthouse's 4× slower phone), one
// blocking task right after the first digits for two dates and two numbers.

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const two = (n: number) => String(n).padStart(2, '0');

/** "30 Nov 2026" (UTC). */
export function formatDay(iso: string): string {
  const d = new Date(iso);
  return `${d.getUTCDate()} ${MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()}`;
}

/** "30 Nov 2026, 22:18 UTC". */
export function formatTime(iso: string): string {
  const d = new Date(iso);
  return `${formatDay(iso)}, ${two(d.getUTCHours())}:${two(d.getUTCMinutes())} UTC`;
}

/** 30000 → "30,000". */
export function formatCount(n: number): string {
  return String(Math.round(n)).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}
