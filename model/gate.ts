import type { Metrics } from '../contract/index.ts';
import { worstClass } from './evaluate/scores.ts';

export interface GateRules {
  minClassAccuracy?: number;
  /** Every class's own accuracy must reach this (what a visitor asking for the worst digit sees). */
  minClassAccuracyEach?: number;
  maxFid?: number;
  /** Compared with a baseline's metrics: fail when worse by more than `maxRegression` percent. */
  baseline?: Metrics;
  maxRegression?: number;
}

export interface GateResult {
  passed: boolean;
  /** One line per check, starting with "ok" or "FAIL". */
  lines: string[];
}

/** The quality gate a model must pass before it is published. */
export function gate(m: Metrics, rules: GateRules): GateResult {
  const lines: string[] = [];
  const check = (ok: boolean, text: string) => lines.push(`${ok ? 'ok  ' : 'FAIL'} ${text}`);
  if (rules.minClassAccuracy !== undefined) {
    if (m.classAccuracy === null)
      check(false, `class accuracy: none (unconditional model), need ≥ ${rules.minClassAccuracy}`);
    else
      check(
        m.classAccuracy >= rules.minClassAccuracy,
        `class accuracy ${m.classAccuracy.toFixed(4)} (need ≥ ${rules.minClassAccuracy})`,
      );
  }
  if (rules.minClassAccuracyEach !== undefined) {
    const need = rules.minClassAccuracyEach;
    const each = m.perClassAccuracy;
    if (!each) check(false, `per-class accuracy: not measured for this model, need each ≥ ${need}`);
    else {
      const worst = worstClass(each);
      const below = each.flatMap((a, digit) => (a < need ? [`${digit}: ${a.toFixed(4)}`] : []));
      check(
        below.length === 0,
        `worst class accuracy ${worst.accuracy.toFixed(4)} (digit ${worst.digit}; need each ≥ ${need})` +
          (below.length ? `; below: ${below.join(', ')}` : ''),
      );
    }
  }
  if (rules.maxFid !== undefined)
    check(m.fid <= rules.maxFid, `FID ${m.fid.toFixed(3)} (need ≤ ${rules.maxFid})`);
  if (rules.baseline) {
    const p = (rules.maxRegression ?? 0) / 100;
    const b = rules.baseline;
    const fidLimit = b.fid * (1 + p);
    check(
      m.fid <= fidLimit,
      `FID ${m.fid.toFixed(3)} vs baseline ${b.fid.toFixed(3)} (need ≤ ${fidLimit.toFixed(3)})`,
    );
    if (m.classAccuracy !== null && b.classAccuracy !== null) {
      const accLimit = b.classAccuracy * (1 - p);
      check(
        m.classAccuracy >= accLimit,
        `class accuracy ${m.classAccuracy.toFixed(4)} vs baseline ${b.classAccuracy.toFixed(4)} (need ≥ ${accLimit.toFixed(4)})`,
      );
    }
  }
  return { passed: lines.every((l) => l.startsWith('ok')), lines };
}

/**
 * The rules an unattended retrain must pass before it is published (`npm run pipeline`'s defaults):
 * 8,000 steps of the default recipe pass them with a margin on two seeds (docs/training.md, "The
 * retrain budget"). Class accuracy applies to conditional models only.
 */
export const RETRAIN_GATE = { minClassAccuracy: 0.98, minClassAccuracyEach: 0.95, maxFid: 10 } as const;

/** The rules that apply to a model with `classes` classes (0 = unconditional: FID only). */
export function rulesFor(classes: number, rules: GateRules): GateRules {
  if (classes > 0) return rules;
  return { ...rules, minClassAccuracy: undefined, minClassAccuracyEach: undefined };
}
