// The op registry: ONNX op type (default domain) -> import rule. Shape rules for the
// canonical kinds live next to the rules that create them and are collected in ../shapes.ts.
import { OpRule } from '../types';
import { clipRule, reluRule } from './activation';
import { addRule, constArithRule } from './add';
import { batchNormRule } from './batchnorm';
import { castRule, concatRule, constantRule, gatherRule, identityRule, shapeRule, sliceRule } from './constfold';
import { convRule } from './conv';
import { gemmRule, matMulRule } from './gemm';
import { padRule } from './pad';
import { averagePoolRule, globalAveragePoolRule, maxPoolRule, reduceMeanRule } from './pool';
import { flattenRule, reshapeRule, squeezeRule, unsqueezeRule } from './reshape';

export const OP_RULES: Readonly<Record<string, OpRule>> = {
  Conv: convRule,
  BatchNormalization: batchNormRule,
  Relu: reluRule,
  Clip: clipRule,
  Add: addRule,
  GlobalAveragePool: globalAveragePoolRule,
  ReduceMean: reduceMeanRule,
  AveragePool: averagePoolRule,
  MaxPool: maxPoolRule,
  Pad: padRule,
  Flatten: flattenRule,
  Reshape: reshapeRule,
  Squeeze: squeezeRule,
  Unsqueeze: unsqueezeRule,
  Gemm: gemmRule,
  MatMul: matMulRule,
  Identity: identityRule,
  Dropout: identityRule,
  Constant: constantRule,
  // Constant folding of shape subgraphs only:
  Shape: shapeRule,
  Gather: gatherRule,
  Concat: concatRule,
  Cast: castRule,
  Slice: sliceRule,
  Sub: constArithRule,
  Mul: constArithRule,
  Div: constArithRule,
};

export const SUPPORTED_OPS: readonly string[] = Object.keys(OP_RULES).sort();
