import { secureHeaders } from 'hono/secure-headers';
import { DENIED_FEATURES, SECURITY_HEADERS } from '../../contract/index.ts';

type Feature = (typeof DENIED_FEATURES)[number];
const denied: Partial<Record<Feature, false>> = {};
for (const feature of DENIED_FEATURES) denied[feature] = false; // Hono writes `feature=()`

/** Headers every response carries, API or page (the page's _headers come from the same module). */
export const securityHeaders = secureHeaders({
  xContentTypeOptions: SECURITY_HEADERS['X-Content-Type-Options'],
  referrerPolicy: SECURITY_HEADERS['Referrer-Policy'],
  xFrameOptions: SECURITY_HEADERS['X-Frame-Options'],
  strictTransportSecurity: SECURITY_HEADERS['Strict-Transport-Security'],
  permissionsPolicy: denied,
  // Hono's other defaults stay off: the API never sent them. COOP/COEP and a same-origin CORP are
  // the page's (they would stop other origins reading the weights); the API's CORP is api-headers.ts'.
  crossOriginEmbedderPolicy: false,
  crossOriginOpenerPolicy: false,
  crossOriginResourcePolicy: false,
  originAgentCluster: false,
  xDnsPrefetchControl: false,
  xDownloadOptions: false,
  xPermittedCrossDomainPolicies: false,
  xXssProtection: false,
});
