// Placeholder until the client issue: shows which model the worker serves.
import { manifestSchema } from '../../edge/contract.ts';

const status = document.querySelector<HTMLParagraphElement>('#status');
async function main(): Promise<void> {
  const res = await fetch('/v1/model');
  if (!res.ok)
    throw new Error(res.status === 404 ? 'No model has been published yet.' : `HTTP ${res.status}`);
  const m = manifestSchema.parse(await res.json());
  if (status) status.textContent = `Model ${m.version} (${m.preset}, ${m.quantization}) is available.`;
}
main().catch((e: unknown) => {
  if (status) status.textContent = e instanceof Error ? e.message : String(e);
});
