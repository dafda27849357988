// FusedBatchNorm gradient without Tile. tfjs-core's stock gradient (gradients/FusedBatchNorm_grad.js)
// tiles rsqrt(variance + eps) up to [B,H,W,C] before multiplying it into dy when the statistics are rank 1;
// Tile is slow on wasm, and broadcasting the [C] tensor feeds every element the same float32 operands.
// Everything else is the stock gradient op for op, including its branch for non-rank-1 statistics, so the
// result is bit-identical. The gradient registry is global: this applies to every backend.
import {
  add,
  broadcast_util,
  FusedBatchNorm,
  type GradConfig,
  mul,
  type NamedAttrMap,
  reshape,
  rsqrt,
  scalar,
  sub,
  sum,
  type Tensor,
} from '@tensorflow/tfjs-core';

type GradMap = ReturnType<GradConfig['gradFunc']>;

function batchNormGrad(dyIn: Tensor | Tensor[], saved: Tensor[], attrs: NamedAttrMap): GradMap {
  const dy = Array.isArray(dyIn) ? dyIn[0] : dyIn;
  const varianceEpsilon = attrs.varianceEpsilon as number;
  const [x, mean, variance, scale] = saved;
  const scaleValue = scale == null ? scalar(1) : scale;
  const reductionAxes = broadcast_util.getReductionAxes(mean.shape, x.shape);
  const perChannel = mean.rank === 1;
  const reduce = (t: Tensor): Tensor => (perChannel ? sum(t, reductionAxes) : t);

  const xMinusMean = sub(x, mean);
  const dyTimesScaleValue = mul(dy, scaleValue);
  const oneOverSqrtVariance = rsqrt(add(variance, scalar(varianceEpsilon)));
  const minusHalfRCube = mul(
    mul(mul(oneOverSqrtVariance, oneOverSqrtVariance), oneOverSqrtVariance),
    scalar(-0.5),
  );
  return {
    // Stock (rank-1 stats): mul(mul(dy, tile(reshape(rsqrt, [1,1,1,C]), [B,H,W,1])), scale).
    x: () => reshape(mul(mul(dy, oneOverSqrtVariance), scaleValue), x.shape),
    mean: () => reshape(reduce(mul(mul(oneOverSqrtVariance, scalar(-1)), dyTimesScaleValue)), mean.shape),
    variance: () => reshape(reduce(mul(mul(minusHalfRCube, xMinusMean), dyTimesScaleValue)), mean.shape),
    scale: () => reshape(reduce(mul(dy, mul(xMinusMean, oneOverSqrtVariance))), mean.shape),
    offset: () => reshape(reduce(dy), mean.shape),
  };
}

export const batchNormGradConfig: GradConfig = {
  kernelName: FusedBatchNorm,
  inputsToSave: ['x', 'mean', 'variance', 'scale'],
  gradFunc: batchNormGrad,
};
