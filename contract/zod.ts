// zod as every schema here uses it. Jitless: otherwise zod probes `new Function` as soon as an
// object schema is built (at import, before any code of ours runs), which the page's CSP forbids
// and reports as a violation. Setting it here, the module every schema imports, runs it first.
import { z } from 'zod';

z.config({ jitless: true });

export { z };
