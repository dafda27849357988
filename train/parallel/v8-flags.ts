/**
 * V8 flags for training processes (`npm run train` passes the same ones; a test keeps them in
 * step). With every core busy with a training thread, V8's concurrent GC helper threads only steal
 * time from them, and a larger young generation means fewer scavenges of the many small objects a
 * tfjs step makes. Measured on the 2-core machine: neutral with one thread, a few % with two.
 */
export const V8_FLAGS = ['--single-threaded-gc', '--max-semi-space-size=32'] as const;
