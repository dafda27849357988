// The names the parts agree on. Training builds an architecture for each preset name; the manifest,
// the retrain request and the page accept only these.

export const PRESET_NAMES = ['tutorial', 'fast', 'fast-cond'] as const;
export type PresetName = (typeof PRESET_NAMES)[number];

export const QUANTIZATIONS = ['uint8', 'float16', 'float32'] as const;
export type Quantization = (typeof QUANTIZATIONS)[number];

/** Where a published model was trained (the manifest's training.backend). */
export const TRAINING_BACKENDS = ['tensorflow', 'webgpu', 'wasm', 'cpu'] as const;
