// BatchNormalization (inference form) as a per-channel affine; the fold pass merges it
// into the preceding Conv/Gemm.
import { attrFloat, attrInt } from '../attrs';
import { BnWork, nodeError, OpRule } from '../types';
import { actIn, base, constIn, fmtShape } from './common';

export const batchNormRule: OpRule = {
  lower(n, ctx) {
    const x = actIn(n, ctx, 0);
    if (x.shape.length !== 4 && x.shape.length !== 2) throw nodeError(n, `input ${fmtShape(x.shape)} must be 2-D or 4-D`, 'E_SHAPE');
    if (attrInt(n, 'training_mode', 0) !== 0) {
      throw nodeError(n, 'training_mode=1 is not supported; export the model in eval mode (model.eval())');
    }
    const c = x.shape[1];
    const [gamma, beta, mean, variance] = [1, 2, 3, 4].map((i) => {
      const t = constIn(n, ctx, i, ['scale', 'B', 'mean', 'var'][i - 1]);
      if (t.values.length !== c) throw nodeError(n, `parameter ${i} has ${t.values.length} values, expected ${c}`, 'E_SHAPE');
      return t.values;
    });
    const eps = attrFloat(n, 'epsilon', 1e-5);
    const scale = new Float64Array(c), shift = new Float64Array(c);
    for (let i = 0; i < c; i++) {
      scale[i] = gamma[i] / Math.sqrt(variance[i] + eps);
      shift[i] = beta[i] - mean[i] * scale[i];
    }
    const node: BnWork = { op: 'bn', ...base(n, [x.name]), scale, shift };
    return { kind: 'node', node };
  },
};
